// The canvas: one LGraph on one LGraphCanvas, dark ComfyUI-like look, node types from the
// server, snapshots for undo/redo and the unsaved-changes guard, and workflow load/save.
import { LGraph, LGraphCanvas, LGraphGroup, LGraphNode, LiteGraph } from '@comfyorg/litegraph';
import type { ObjectInfo, Workflow } from '../api/types.ts';
import { canonicalWorkflow, ChangeTracker, onlyNodesGrew, watchUserEdits } from './changeTracker.ts';
import { registerNodeTypes } from './registerNodes.ts';
import { orderedInputs } from './nodeSpec.ts';
import type { NodeEnv } from './nodeClass.ts';
import { knownSlotColors } from './slotColors.ts';
import { onLiveChange, getLive, resetLive } from './live.ts';
import { setImageLoadedHandler } from './imageCache.ts';
import { contentBottom } from './drawLive.ts';
import { setTextareaHost } from './textareaWidget.ts';
import { closeEditorOverlays, editTitle, installCanvasEditor, openNodeSearch } from './canvasEditor.ts';
import { fitCanvas, onPixelRatioChange } from './hidpi.ts';
import { unionRects, type Rect } from './minimap.ts';

export interface StudioCanvasOptions {
  env: NodeEnv;
  /** Called after every change of the graph (dirty flag, autosave). */
  onChange: () => void;
}

export class StudioCanvas {
  readonly graph: LGraph;
  readonly canvas: LGraphCanvas;
  readonly tracker: ChangeTracker<Workflow>;
  private readonly el: HTMLCanvasElement;
  private readonly offLive: () => void;
  private readonly offEdits: () => void;
  private resizeObserver: ResizeObserver | undefined;
  private offSize: (() => void) | undefined;
  private readonly offEditor: () => void;
  private readonly drawListeners = new Set<() => void>();

  constructor(el: HTMLCanvasElement, private readonly opts: StudioCanvasOptions) {
    this.el = el;
    configureLiteGraph();
    this.graph = new LGraph();
    this.canvas = new LGraphCanvas(el, this.graph, { skip_render: false } as never);
    this.canvas.clear_background_color = '#1e1e1e';
    this.canvas.allow_searchbox = true;
    this.canvas.show_info = false;
    this.canvas.render_canvas_border = false;
    // Studio graphs are a dozen tall nodes: fitted to a laptop screen they sit at ~0.45 zoom,
    // where litegraph's default (0.6) would drop every title and widget label.
    this.canvas.low_quality_zoom_threshold = 0.35;
    for (const [type, color] of Object.entries(knownSlotColors())) {
      LGraphCanvas.link_type_colors[type] = color;
      this.canvas.default_connection_color_byType[type] = color;
    }
    this.tracker = new ChangeTracker<Workflow>(
      { take: () => this.snapshot(), restore: (w) => this.configure(w) },
      { onChange: () => opts.onChange(), layoutOnly: onlyNodesGrew, canonical: canonicalWorkflow },
    );
    this.offEdits = watchUserEdits(el, () => this.tracker.check());
    this.offLive = onLiveChange(() => this.liveChanged());
    setImageLoadedHandler(() => this.canvas.setDirty(true, false));
    setTextareaHost(
      (node, x, y) => {
        const r = el.getBoundingClientRect();
        const { scale, offset } = this.canvas.ds;
        return { left: (node.pos[0] + x + offset[0]) * scale + r.left, top: (node.pos[1] + y + offset[1]) * scale + r.top, scale };
      },
      () => this.tracker.check(),
    );
    this.watchSize();
    this.offEditor = installCanvasEditor({
      graph: this.graph,
      canvas: this.canvas,
      el,
      toCanvas: (x, y) => this.toCanvas(x, y),
      changed: () => this.changed(),
      frame: () => this.drawListeners.forEach((fn) => fn()),
      refit: this.refit,
    });
  }

  /** Ctrl+M mutes, Ctrl+B bypasses the selected nodes (again: back to normal). */
  toggleMode(mode: 2 | 4): boolean {
    const selected = Object.values(this.canvas.selected_nodes ?? {}) as LGraphNode[];
    if (selected.length === 0) return false;
    const next = selected.every((n) => n.mode === mode) ? 0 : mode;
    for (const n of selected) n.changeMode(next as never);
    this.canvas.setDirty(true, true);
    this.tracker.check();
    return true;
  }

  undo(): boolean {
    const ok = this.tracker.undo();
    this.canvas.setDirty(true, true);
    return ok;
  }
  redo(): boolean {
    const ok = this.tracker.redo();
    this.canvas.setDirty(true, true);
    return ok;
  }

  setNodeTypes(defs: ObjectInfo): void {
    registerNodeTypes(defs, this.opts.env);
    this.refreshComboOptions(defs);
  }

  /** New files on the server (uploads, models, shifts) show up in existing nodes' combos. */
  refreshComboOptions(defs: ObjectInfo): void {
    for (const node of this.graph.nodes) {
      const def = defs[node.type as string];
      if (!def) continue;
      const infos = new Map(orderedInputs(def).map((i) => [i.name, i]));
      for (const w of (node.widgets ?? []) as unknown as { name: string; type: string; options: { values?: unknown } }[]) {
        const values = w.type === 'combo' ? infos.get(w.name)?.values : undefined;
        if (values) w.options.values = values;
      }
    }
    this.canvas.setDirty(true, false);
  }

  serialize(): Workflow {
    return this.graph.serialize() as unknown as Workflow;
  }

  /** The graph without view state: what undo and the dirty flag compare. */
  private snapshot(): Workflow {
    const w = this.serialize();
    const { ds: _ds, ...extra } = (w.extra ?? {}) as Record<string, unknown>;
    return { ...w, extra };
  }

  private configure(w: Workflow): void {
    this.graph.configure(structuredClone(w) as never);
    this.canvas.setDirty(true, true);
  }

  /** Loads a workflow as a new document: fresh undo history, view from the file. */
  load(w: Workflow): void {
    // Another document: live state (errors, images) of the old one's node ids must go.
    resetLive();
    closeEditorOverlays(this.canvas);
    this.graph.clear();
    this.configure(w);
    const ds = (w.extra as { ds?: { scale?: number; offset?: [number, number] } } | undefined)?.ds;
    if (ds?.offset && typeof ds.scale === 'number') {
      this.canvas.ds.scale = ds.scale;
      this.canvas.ds.offset = [ds.offset[0], ds.offset[1]] as never;
    } else this.fitView();
    this.tracker.reset(true);
  }

  /** Frames all nodes and groups in the view ('.' in ComfyUI; the canvas's fit button). */
  fitView(): void {
    const b = this.contentBounds();
    if (!b) {
      this.canvas.ds.scale = 1;
      this.canvas.ds.offset = [0, 0] as never;
      this.canvas.setDirty(true, true);
      return;
    }
    const [x0, y0, bw, bh] = b;
    const w = this.el.clientWidth || 800;
    const h = this.el.clientHeight || 600;
    const scale = Math.max(0.2, Math.min(1.2, Math.min(w / (bw + 120), h / (bh + 120))));
    this.canvas.ds.scale = scale;
    this.canvas.ds.offset = [(w / scale - bw) / 2 - x0, (h / scale - bh) / 2 - y0] as never;
    this.canvas.setDirty(true, true);
  }

  /** The bounds of all nodes (with their titles) and groups, in graph coordinates. */
  contentBounds(): Rect | undefined {
    return unionRects([...this.graph.nodes.map((n) => this.nodeBounds(n)), ...this.graph.groups.map((g) => g.boundingRect)]);
  }

  /** A node's bounds with its title, measured now: litegraph refreshes boundingRect only as it draws. */
  private nodeBounds(n: LGraphNode): ArrayLike<number> {
    n.updateArea(this.canvas.ctx);
    return n.boundingRect;
  }

  /** The part of the graph the view shows, in graph coordinates. */
  viewRect(): Rect {
    const { scale, offset } = this.canvas.ds;
    return [-offset[0], -offset[1], this.el.clientWidth / scale, this.el.clientHeight / scale];
  }

  /**
   * Zooms by `factor` (>1 in, <1 out) about a page point (default: the view's centre), within
   * litegraph's zoom limits. For the zoom buttons and the keys ComfyUI binds (Alt+= / Alt+-).
   */
  zoomBy(factor: number, at?: [number, number]): void {
    if (!(factor > 0)) return;
    const r = this.el.getBoundingClientRect();
    const ds = this.canvas.ds;
    ds.changeScale(ds.scale * factor, at ?? [r.left + r.width / 2, r.top + r.height / 2]);
    this.canvas.setDirty(true, true);
  }

  /** Moves the view so that graph point (x, y) is at its centre (the minimap). */
  centreOn(x: number, y: number): void {
    const { scale } = this.canvas.ds;
    this.canvas.ds.offset = [this.el.clientWidth / 2 / scale - x, this.el.clientHeight / 2 / scale - y] as never;
    this.canvas.setDirty(true, true);
  }

  /** Calls `fn` after every frame the canvas draws (view moved, graph changed); returns the undo. */
  onDraw(fn: () => void): () => void {
    this.drawListeners.add(fn);
    return () => this.drawListeners.delete(fn);
  }

  /** The selected nodes and groups. */
  private selection(): (LGraphNode | LGraphGroup)[] {
    return [...this.canvas.selectedItems].filter((i): i is LGraphNode | LGraphGroup => i instanceof LGraphNode || i instanceof LGraphGroup);
  }

  /**
   * Ctrl+G in ComfyUI: a new group fitted around the selected nodes and groups, its title
   * then edited in place (`editTitle: false` skips that). False when nothing is selected.
   */
  groupSelected(opts: { title?: string; editTitle?: boolean } = {}): LGraphGroup | false {
    const items = this.selection();
    if (items.length === 0) return false;
    const group = new LGraphGroup(opts.title ?? 'Group');
    for (const i of items) if (i instanceof LGraphNode) this.nodeBounds(i);
    group.resizeTo(items, 10);
    this.graph.beforeChange();
    this.graph.add(group);
    group.recomputeInsideNodes();
    this.graph.afterChange();
    this.changed();
    if (opts.editTitle !== false) this.editTitle(group);
    return group;
  }

  /** Alt+C in ComfyUI: collapses each selected node, or expands it when collapsed. False when none. */
  toggleCollapseSelected(): boolean {
    const nodes = this.selection().filter((i): i is LGraphNode => i instanceof LGraphNode);
    if (nodes.length === 0) return false;
    for (const n of nodes) n.collapse();
    this.changed();
    return true;
  }

  /** P in ComfyUI: pins each selected node and group (pinned ones unpin). False when none. */
  togglePinSelected(): boolean {
    const items = this.selection();
    if (items.length === 0) return false;
    for (const i of items) i.pin(!i.pinned);
    this.changed();
    return true;
  }

  /** Edits a node's or group's title in place (double-click on a title does this too). */
  editTitle(target: LGraphNode | LGraphGroup): HTMLInputElement {
    return editTitle(this.host(), target);
  }

  /** Opens the node search box at a page point (default: the view's centre). */
  openSearch(clientX?: number, clientY?: number): HTMLElement {
    return openNodeSearch(this.host(), clientX === undefined || clientY === undefined ? undefined : { clientX, clientY });
  }

  private host() {
    return { graph: this.graph, canvas: this.canvas, el: this.el, toCanvas: (x: number, y: number) => this.toCanvas(x, y), changed: () => this.changed(), frame: () => {}, refit: this.refit };
  }

  /** After an edit made here: redraw, and let undo and autosave see it. */
  private changed(): void {
    this.canvas.setDirty(true, true);
    this.tracker.check();
  }

  /** Adds a node of `type` at the view's centre (or at a canvas position). */
  addNode(type: string, pos?: [number, number]): LGraphNode | undefined {
    const node = LiteGraph.createNode(type);
    if (!node) return undefined;
    const at = pos ?? this.viewCentre();
    let x = at[0] - node.size[0] / 2;
    // Without an explicit spot, tops align so that the cascade below sees a pile-up.
    let y = pos ? at[1] - node.size[1] / 2 : at[1] - 150;
    // Nodes added at the same spot cascade instead of hiding each other.
    while (!pos && this.graph.nodes.some((n) => Math.abs(n.pos[0] - x) < 20 && Math.abs(n.pos[1] - y) < 20)) {
      x += 30;
      y += 30;
    }
    node.pos = [x, y] as never;
    this.graph.add(node);
    this.canvas.selectNode(node);
    this.canvas.setDirty(true, true);
    this.tracker.check();
    return node;
  }

  viewCentre(): [number, number] {
    const { scale, offset } = this.canvas.ds;
    return [(this.el.clientWidth / 2) / scale - offset[0], (this.el.clientHeight / 2) / scale - offset[1]];
  }

  /** Canvas coordinates of a client (mouse) position. */
  toCanvas(clientX: number, clientY: number): [number, number] {
    const r = this.el.getBoundingClientRect();
    const { scale, offset } = this.canvas.ds;
    return [(clientX - r.left) / scale - offset[0], (clientY - r.top) / scale - offset[1]];
  }

  nodeAt(clientX: number, clientY: number): LGraphNode | undefined {
    const [x, y] = this.toCanvas(clientX, clientY);
    return this.graph.getNodeOnPos(x, y) ?? undefined;
  }

  /** Node with live images or a loss curve grow to show them; then redraw. */
  private liveChanged(): void {
    for (const node of this.graph.nodes) {
      const live = getLive(node.id);
      if (!live) continue;
      node.progress = live.progress ?? undefined;
      const extra = (live.loss?.length ? 100 : 0) + (live.images?.length ? 220 : 0);
      if (extra > 0) {
        // Widgets may not be laid out yet (a node added this frame): computeSize knows their height.
        const need = Math.max(contentBottom(node), node.computeSize()[1]) + extra;
        if (node.size[1] < need) node.setSize([Math.max(node.size[0], 260), need]);
      }
    }
    this.canvas.setDirty(true, true);
  }

  /**
   * Keeps the canvas's backing store at its CSS size × devicePixelRatio (litegraph draws in
   * CSS pixels on a context scaled by that ratio: see canvasEditor.ts), when the panel resizes
   * and when the ratio changes (the window moved to another screen, or the browser zoomed).
   */
  private readonly refit = () => {
    const parent = this.el.parentElement;
    if (!parent) return;
    fitCanvas(this.el, parent.clientWidth, parent.clientHeight);
    this.canvas.setDirty(true, true);
  };

  private watchSize(): void {
    const fit = this.refit;
    fit();
    if (typeof ResizeObserver !== 'undefined' && this.el.parentElement) {
      this.resizeObserver = new ResizeObserver(fit);
      this.resizeObserver.observe(this.el.parentElement);
    }
    const offRatio = onPixelRatioChange(fit);
    window.addEventListener('resize', fit);
    this.offSize = () => {
      offRatio();
      window.removeEventListener('resize', fit);
    };
  }

  destroy(): void {
    this.offLive();
    this.offEdits();
    this.resizeObserver?.disconnect();
    this.offSize?.();
    this.offEditor();
    this.canvas.setGraph?.(null as never);
  }
}

let configured = false;
function configureLiteGraph(): void {
  if (configured) return;
  configured = true;
  // Links only between matching types; no auto-created "Const" nodes on release.
  LiteGraph.release_link_on_empty_shows_menu = true;
  LiteGraph.alt_drag_do_clone_nodes = true;
  LiteGraph.snaps_for_comfy = true;
  LiteGraph.middle_click_slot_add_default_node = false;
  LiteGraph.search_hide_on_mouse_leave = false;
  LiteGraph.search_filter_enabled = false;
  LiteGraph.NODE_DEFAULT_BGCOLOR = '#353535';
  LiteGraph.NODE_DEFAULT_COLOR = '#2b2b2b';
  LiteGraph.NODE_TITLE_COLOR = '#ddd';
  LiteGraph.WIDGET_BGCOLOR = '#222';
  LiteGraph.WIDGET_OUTLINE_COLOR = '#555';
  LiteGraph.LINK_COLOR = '#9a9';
  // "Never" mutes a node; index 4 is ComfyUI's bypass (passes inputs through by type).
  LiteGraph.NODE_MODES = ['Always', 'On Event', 'Never', 'On Trigger', 'Bypass'] as never;
}
