// Where the studio corrects or completes litegraph 0.17.2's canvas (the newest release on npm,
// so these live here rather than in a version bump):
// - HiDPI: litegraph draws its front canvas in CSS pixels and expects the context to carry
//   devicePixelRatio (its back canvas sets that itself); the transform is set at the start of
//   every front frame, after the backing store is checked against the current ratio. Its visible area is computed from the backing store (device pixels);
//   it gets the CSS viewport instead, so culling and hit-testing see what is on screen.
// - Search: litegraph's link-release menu calls `opts.showSearchBox(...)` as a method of its
//   options object (`this` is not the canvas: "Cannot read properties of undefined (reading
//   'scale')", leaving an empty box on the page), and its box does not filter by the link's
//   type unless the type filter selects are shown. The canvas's showSearchBox is replaced by
//   the studio's box (graph/searchBox.ts): filtered by the link's type, at the pointer,
//   connecting the new node to the link, closed on Escape, pick or a press outside.
// - Titles: double-click on a node's or group's title edits it in place (ComfyUI); the node
//   menu's Title entry does the same instead of litegraph's floating prompt.
import { LGraphGroup, LiteGraph, type LGraph, type LGraphCanvas, type LGraphNode } from '@comfyorg/litegraph';
import { backingStale, pixelRatio } from './hidpi.ts';
import { closeSearchBox, openSearchBox } from './searchBox.ts';
import { closeTitleEditor, openTitleEditor } from './titleEditor.ts';

export interface EditorHost {
  readonly graph: LGraph;
  readonly canvas: LGraphCanvas;
  readonly el: HTMLCanvasElement;
  /** Graph coordinates of a page (client) position. */
  toCanvas(clientX: number, clientY: number): [number, number];
  /** After an edit: redraw, and let undo/autosave see it. */
  changed(): void;
  /** After every front-canvas frame (the minimap follows the view). */
  frame(): void;
  /** Sizes the backing store for the current CSS size and devicePixelRatio. */
  refit(): void;
}

type PointerLike = { clientX: number; clientY: number; canvasX?: number; canvasY?: number };
type Slot = { name?: string; type?: unknown };
/** What litegraph passes to showSearchBox from a released link (either spelling of the slot). */
interface LinkSearchOptions {
  node_from?: LGraphNode | null;
  slot_from?: unknown;
  node_to?: LGraphNode | null;
  slot_to?: unknown;
}
interface ConnectionMenuOptions {
  e?: PointerLike;
  showSearchBox?: (e: PointerLike, o?: LinkSearchOptions) => unknown;
  [k: string]: unknown;
}
type Patchable = {
  draw(forceCanvas?: boolean, forceBackground?: boolean): void;
  drawFrontCanvas(): void;
  showSearchBox(e?: PointerLike, o?: LinkSearchOptions): unknown;
  showConnectionMenu(o?: ConnectionMenuOptions): unknown;
  ctx: CanvasRenderingContext2D;
  ds: { computeVisibleArea(viewport?: [number, number, number, number]): void };
};

/** Installs the corrections above on `host.canvas`; returns the undo of its listeners. */
export function installCanvasEditor(host: EditorHost): () => void {
  const lg = host.canvas as unknown as Patchable;

  // HiDPI: a frame first checks the backing store against the ratio (a change that no event
  // reported, e.g. an emulated screen), then every front frame starts in CSS pixels scaled
  // to the device.
  const draw = lg.draw.bind(host.canvas);
  lg.draw = (forceCanvas, forceBackground) => {
    if (backingStale(host.el)) host.refit();
    draw(forceCanvas, forceBackground);
  };
  const drawFront = lg.drawFrontCanvas.bind(host.canvas);
  lg.drawFrontCanvas = () => {
    const dpr = pixelRatio();
    lg.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawFront();
    host.frame();
  };
  const ds = lg.ds;
  const computeVisibleArea = ds.computeVisibleArea.bind(ds);
  ds.computeVisibleArea = (viewport) => {
    const dpr = pixelRatio();
    computeVisibleArea(viewport ?? [0, 0, host.el.width / dpr, host.el.height / dpr]);
  };

  // Search: the studio's box, with `this` bound; a link's menu remembers where it was released.
  lg.showSearchBox = (e, o) => openNodeSearch(host, e, o);
  const showConnectionMenu = lg.showConnectionMenu.bind(host.canvas);
  lg.showConnectionMenu = (o = {}) => showConnectionMenu({ ...o, showSearchBox: (e: PointerLike, so?: LinkSearchOptions) => openNodeSearch(host, e, so, o.e) });

  // Titles.
  const onCanvasEvent = (ev: Event) => {
    const d = (ev as CustomEvent<{ subType?: string; node?: LGraphNode; group?: LGraphGroup; originalEvent?: PointerLike }>).detail;
    const e = d?.originalEvent;
    if (!e || typeof e.canvasX !== 'number' || typeof e.canvasY !== 'number') return;
    if (d.subType === 'node-double-click' && d.node) {
      const x = e.canvasX - d.node.pos[0];
      const y = e.canvasY - d.node.pos[1];
      // The title bar, past the collapse dot at its left.
      if (y < 0 && x > LiteGraph.NODE_TITLE_HEIGHT * 0.8) editTitle(host, d.node);
    } else if (d.subType === 'group-double-click' && d.group) {
      if (d.group.isPointInTitlebar(e.canvasX, e.canvasY)) editTitle(host, d.group);
      // Inside a group, as on the empty canvas: the search box.
      else lg.showSearchBox(e);
    }
  };
  host.el.addEventListener('litegraph:canvas', onCanvasEvent);
  (host.graph as LGraph & { onGetNodeMenuOptions?: LGraph['onGetNodeMenuOptions'] }).onGetNodeMenuOptions = (options, node) => {
    for (const o of options) if (o && o.content === 'Title') o.callback = () => void editTitle(host, node);
  };

  return () => {
    host.el.removeEventListener('litegraph:canvas', onCanvasEvent);
    closeSearchBox();
    closeTitleEditor(false);
  };
}

/** Closes the search box, the title editor and litegraph's panels (another document is loaded). */
export function closeEditorOverlays(canvas: LGraphCanvas): void {
  closeSearchBox();
  closeTitleEditor(false);
  canvas.closePanels?.();
}

function slotIndex(slots: Slot[] | undefined, slot: unknown): number {
  if (!slots) return -1;
  if (typeof slot === 'number') return slot < slots.length ? slot : -1;
  if (typeof slot === 'string') return slots.findIndex((s) => s.name === slot);
  if (slot && typeof slot === 'object') {
    const i = slots.indexOf(slot as Slot);
    return i >= 0 ? i : slots.findIndex((s) => s.name === (slot as Slot).name);
  }
  return -1;
}

interface LinkEnd {
  node: LGraphNode;
  slot: number;
  type: string;
}

/**
 * Opens the search box at the pointer `e`; a new node goes where the link was released
 * (`release`, else `e`) and connects to the link's node (`o`).
 */
export function openNodeSearch(host: EditorHost, e?: PointerLike, o?: LinkSearchOptions, release?: PointerLike): HTMLElement {
  const r = host.el.getBoundingClientRect();
  const pointer = e && Number.isFinite(e.clientX) ? e : { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 };
  const drop = release ?? pointer;
  const at: [number, number] = typeof drop.canvasX === 'number' && typeof drop.canvasY === 'number' ? [drop.canvasX, drop.canvasY] : host.toCanvas(drop.clientX, drop.clientY);
  let from: LinkEnd | undefined;
  let to: LinkEnd | undefined;
  if (o?.node_from) {
    const i = slotIndex(o.node_from.outputs as Slot[], o.slot_from);
    if (i >= 0) from = { node: o.node_from, slot: i, type: String(o.node_from.outputs[i].type ?? '*') };
  } else if (o?.node_to) {
    const i = slotIndex(o.node_to.inputs as Slot[], o.slot_to ?? o.slot_from);
    if (i >= 0) to = { node: o.node_to, slot: i, type: String(o.node_to.inputs[i].type ?? '*') };
  }
  const box = openSearchBox({
    clientX: pointer.clientX,
    clientY: pointer.clientY,
    inputType: from?.type,
    outputType: to?.type,
    onPick: (type) => addFromSearch(host, type, at, from, to),
    onClose: () => host.el.focus({ preventScroll: true }),
  });
  return box.el;
}

function addFromSearch(host: EditorHost, type: string, at: [number, number], from?: LinkEnd, to?: LinkEnd): void {
  const node = LiteGraph.createNode(type);
  if (!node) return;
  host.graph.beforeChange();
  // Dragged out of an input: the new node sits to the left of the drop, its output there.
  node.pos = (to ? [at[0] - node.size[0], at[1]] : [at[0], at[1]]) as never;
  host.graph.add(node);
  if (from) from.node.connectByType(from.slot, node, from.type);
  if (to) to.node.connectByTypeOutput(to.slot, node, to.type);
  host.graph.afterChange();
  host.canvas.selectNode(node);
  host.changed();
}

/** Edits a node's or group's title in place, over its title bar. */
export function editTitle(host: EditorHost, target: LGraphNode | LGraphGroup): HTMLInputElement {
  const r = host.el.getBoundingClientRect();
  const { scale, offset } = host.canvas.ds;
  let x: number, y: number, w: number, h: number, font: number;
  if (target instanceof LGraphGroup) {
    [x, y] = target.pos;
    w = target.size[0];
    h = target.titleHeight;
    font = target.font_size;
  } else {
    h = LiteGraph.NODE_TITLE_HEIGHT;
    x = target.pos[0];
    y = target.pos[1] - h;
    w = target.flags?.collapsed ? Math.max(target._collapsed_width ?? 0, LiteGraph.NODE_COLLAPSED_WIDTH) : target.size[0];
    font = LiteGraph.NODE_TEXT_SIZE;
  }
  return openTitleEditor({
    rect: { left: r.left + (x + offset[0]) * scale, top: r.top + (y + offset[1]) * scale, width: w * scale, height: h * scale },
    fontPx: font * scale,
    value: target.title,
    commit: (title) => {
      host.graph.beforeChange();
      target.title = title;
      host.graph.afterChange();
      host.changed();
    },
    onClose: () => host.el.focus({ preventScroll: true }),
  });
}
