// One change model for the canvas, as ComfyUI's frontend has it: after every user gesture
// (pointer up, click, key up, a litegraph "after-change") the serialised graph is compared with
// the last state; a difference is one undo step, marks the document changed and reaches
// autosave. A drag is one step (checked at its end), a paste or delete one step (checked at key
// up). Layout the program does on its own (a node grown to show an image) is absorbed without
// an undo step or an unsaved mark. The history can be taken out and put back (workflow tabs).
import type { Workflow } from '../api/types.ts';

export interface Snapshotter<T> {
  take(): T;
  restore(state: T): void;
}

/** Everything a tracker remembers about one document: undo/redo states and what was saved. */
export interface TrackerHistory {
  undo: string[];
  redo: string[];
  current: string;
  /** The saved/opened state; null: never saved (always counts as changed). */
  saved: string | null;
}

export interface ChangeTrackerOptions<T> {
  /** Called after each recorded change, undo/redo, reset and save. */
  onChange?: () => void;
  /** Undo steps kept. */
  limit?: number;
  /** True when `after` differs from `before` only by layout the program did, not the user. */
  layoutOnly?: (before: T, after: T) => boolean;
  /** The state in a canonical form: what is not an edit (the nodes' drawing order) left out. */
  canonical?: (state: T) => T;
}

export class ChangeTracker<T> {
  private undoStack: string[] = [];
  private redoStack: string[] = [];
  private current: string;
  private saved: string | null;
  private restoring = false;
  private paused = 0;
  private readonly onChange: () => void;
  private readonly limit: number;
  private readonly layoutOnly?: (before: T, after: T) => boolean;
  private readonly canonical: (state: T) => T;

  constructor(
    private readonly graph: Snapshotter<T>,
    onChange: (() => void) | ChangeTrackerOptions<T> = () => {},
    limit = 50,
  ) {
    const o: ChangeTrackerOptions<T> = typeof onChange === 'function' ? { onChange, limit } : onChange;
    this.onChange = o.onChange ?? (() => {});
    this.limit = o.limit ?? limit;
    this.layoutOnly = o.layoutOnly;
    this.canonical = o.canonical ?? ((x) => x);
    this.current = this.key();
    this.saved = this.current;
  }

  private key(): string {
    return JSON.stringify(this.canonical(this.graph.take()));
  }

  /** Call after anything that may have changed the graph; true when it recorded a step. */
  check(): boolean {
    if (this.restoring || this.paused > 0) return false;
    const k = this.key();
    if (k === this.current) return false;
    this.undoStack.push(this.current);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
    this.current = k;
    this.onChange();
    return true;
  }

  /**
   * After the program changed the layout (nodes grown to fit content): a layout-only
   * difference becomes the current state without an undo step, and a saved document stays
   * saved. Anything more is left for the next check (a user's edit in progress, e.g. a drag,
   * is recorded when it ends, growth included). True when it absorbed a difference.
   */
  settle(): boolean {
    if (this.restoring || this.paused > 0 || !this.layoutOnly) return false;
    const k = this.key();
    if (k === this.current || !this.layoutOnly(JSON.parse(this.current) as T, JSON.parse(k) as T)) return false;
    if (this.saved === this.current) this.saved = k;
    this.current = k;
    this.onChange();
    return true;
  }

  /** Runs `fn` as one step: no check inside, one check after. */
  batch<R>(fn: () => R): R {
    this.paused++;
    try {
      return fn();
    } finally {
      this.paused--;
      this.check();
    }
  }

  /** Undoes the last edit; an edit not yet checked (a key pressed right after it) counts first. */
  undo(): boolean {
    this.check();
    return this.move(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    // A new edit not yet checked ends the redo history, as it would have once checked.
    this.check();
    return this.move(this.redoStack, this.undoStack);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** A new document (opened/loaded): history starts over; it counts as saved, or as never saved. */
  reset(asSaved = true): void {
    this.undoStack = [];
    this.redoStack = [];
    this.current = this.key();
    this.saved = asSaved ? this.current : null;
    this.onChange();
  }

  markSaved(): void {
    this.current = this.key();
    this.saved = this.current;
    this.onChange();
  }

  get dirty(): boolean {
    return this.current !== this.saved;
  }

  /** The document's history, to keep while another document is on the canvas. */
  history(): TrackerHistory {
    this.check();
    return { undo: [...this.undoStack], redo: [...this.redoStack], current: this.current, saved: this.saved };
  }

  /** Puts back a history taken with history() after its document was loaded again. */
  adopt(h: TrackerHistory): void {
    this.undoStack = [...h.undo];
    this.redoStack = [...h.redo];
    // Loading may serialise a little differently (number formatting, defaults): compare from now on.
    const fresh = this.key();
    this.saved = h.saved === h.current ? fresh : h.saved;
    this.current = fresh;
    this.onChange();
  }

  private move(from: string[], to: string[]): boolean {
    const target = from.pop();
    if (target === undefined) return false;
    to.push(this.current);
    const wasSaved = target === this.saved;
    this.restoring = true;
    try {
      this.graph.restore(JSON.parse(target) as T);
    } finally {
      this.restoring = false;
    }
    // The restored graph is the state now, as it serialises: a later check sees no phantom change.
    this.current = this.key();
    if (wasSaved) this.saved = this.current;
    this.onChange();
    return true;
  }
}

/**
 * A workflow with its nodes and links in id order and without the nodes' execution `order`.
 * Clicking a node brings it to the front, which moves it to the end of litegraph's node list:
 * a selection, not an edit (ComfyUI's tracker compares nodes as a set for the same reason);
 * and litegraph derives `order` from the graph, breaking ties by that list.
 */
export function canonicalWorkflow(w: Workflow): Workflow {
  const byId = (a: unknown, b: unknown) => {
    const ia = Array.isArray(a) ? a[0] : (a as { id?: unknown })?.id;
    const ib = Array.isArray(b) ? b[0] : (b as { id?: unknown })?.id;
    return typeof ia === 'number' && typeof ib === 'number' ? ia - ib : String(ia).localeCompare(String(ib));
  };
  const nodes = [...(w.nodes ?? [])].sort(byId).map((n) => {
    const { order: _order, ...rest } = n as { order?: unknown };
    return rest as typeof n;
  });
  return { ...w, nodes, ...(Array.isArray(w.links) ? { links: [...w.links].sort(byId) } : {}) };
}

type Size = [number, number];
type LayoutNode = { id?: unknown; size?: Size | Record<string, number> };

function sizeOf(n: LayoutNode): Size {
  const s = n.size as unknown;
  if (Array.isArray(s)) return [Number(s[0]), Number(s[1])];
  if (s && typeof s === 'object') return [Number((s as Record<string, number>)[0]), Number((s as Record<string, number>)[1])];
  return [0, 0];
}

/** True when only node sizes changed between two workflows, and each only grew. */
export function onlyNodesGrew(before: Workflow, after: Workflow): boolean {
  const a = (before.nodes ?? []) as LayoutNode[];
  const b = (after.nodes ?? []) as LayoutNode[];
  if (a.length !== b.length) return false;
  const strip = (w: Workflow) => JSON.stringify({ ...w, nodes: ((w.nodes ?? []) as LayoutNode[]).map(({ size: _s, ...rest }) => rest) });
  if (strip(before) !== strip(after)) return false;
  return a.every((n, i) => {
    const [w0, h0] = sizeOf(n);
    const [w1, h1] = sizeOf(b[i]);
    return w1 >= w0 - 0.5 && h1 >= h0 - 0.5;
  });
}

/**
 * Calls `check` after every user gesture that may have edited the graph: pointer up (end of a
 * drag, resize, link, widget click), click (menus, dialogs' buttons), key up (paste, delete,
 * dialogs' Enter), form changes and litegraph's own "after-change". Listens on the window in
 * the capture phase: litegraph stops the pointer events it handles on the canvas, so listeners
 * on the canvas or bubbling to the document never see them. The check runs in a task after the
 * event, when litegraph has applied it; never in the middle of a drag. Returns an unsubscribe.
 */
export function watchUserEdits(canvasEl: HTMLElement, check: () => void, win: Window = window): () => void {
  let pointerDown = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    if (!pointerDown) check();
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(run, 0);
  };
  const down = (e: Event) => {
    if ((e as PointerEvent).isPrimary !== false) pointerDown = true;
  };
  const up = (e: Event) => {
    if ((e as PointerEvent).isPrimary !== false) pointerDown = false;
    schedule();
  };
  // A button released outside the window sends no pointer up here.
  const blur = (e: Event) => {
    if (e.target !== win) return; // an element losing focus, not the window
    pointerDown = false;
    schedule();
  };
  const onCanvasEvent = (e: Event) => {
    const sub = (e as CustomEvent<{ subType?: string }>).detail?.subType;
    if (sub === 'after-change') schedule();
  };
  const listeners: [EventTarget, string, (e: Event) => void][] = [
    [win, 'pointerdown', down],
    [win, 'pointerup', up],
    [win, 'pointercancel', up],
    [win, 'click', schedule],
    [win, 'keyup', schedule],
    [win, 'change', schedule],
    [win, 'blur', blur],
    [canvasEl, 'litegraph:canvas', onCanvasEvent],
  ];
  for (const [t, type, fn] of listeners) t.addEventListener(type, fn, true);
  return () => {
    clearTimeout(timer);
    for (const [t, type, fn] of listeners) t.removeEventListener(type, fn, true);
  };
}
