// Layout for documents as they are opened: nodes grown to fit their widgets before the first
// snapshot (so the first draw's growth is no edit), and a view that frames a graph readably.
import type { LGraph, LGraphNode } from '@comfyorg/litegraph';

/** [x, y, width, height] */
export type Bounds = [number, number, number, number];

export interface View {
  scale: number;
  offset: [number, number];
}

/**
 * Lays out every node's slots and widgets as its first draw would, growing nodes whose widgets
 * end below them (a file made with other widget heights): done before the first snapshot, this
 * growth is part of the opened document, not a change the user made.
 */
export function fitNodesToContent(graph: LGraph): void {
  for (const node of graph.nodes as (LGraphNode & { _setConcreteSlots?: () => void; arrange?: () => void })[]) {
    if (node.flags?.collapsed) continue;
    try {
      node._setConcreteSlots?.();
      node.arrange?.();
    } catch {
      /* a node that cannot lay out yet grows on its first draw instead */
    }
  }
}

export interface ReadableOptions {
  /** Never zoom out further: text stays readable (ComfyUI keeps 0.6 as its low-quality limit). */
  min?: number;
  /** Never zoom in further than this for a small graph. */
  max?: number;
  /** Screen pixels left free around the graph. */
  margin?: number;
}

/**
 * A view that shows the whole graph when it fits at `min` scale or more, centred; otherwise at
 * `min`, showing the graph's start: its left and/or top edge, where a workflow begins.
 */
export function readableView(b: Bounds, viewport: [number, number], o: ReadableOptions = {}): View {
  const min = o.min ?? 0.6;
  const max = o.max ?? 1;
  const m = o.margin ?? 40;
  const [w, h] = viewport;
  const bw = Math.max(1, b[2]);
  const bh = Math.max(1, b[3]);
  const scale = Math.max(min, Math.min(max, (w - 2 * m) / bw, (h - 2 * m) / bh));
  const axis = (size: number, view: number, start: number) => (size * scale <= view - 2 * m ? (view / scale - size) / 2 - start : m / scale - start);
  return { scale, offset: [axis(bw, w, b[0]), axis(bh, h, b[1])] };
}
