// Geometry of the canvas minimap: the graph's content bounds, and the mapping between graph
// coordinates and the minimap's pixels (the content fitted and centred, aspect kept).

/** [x, y, width, height] in graph coordinates. */
export type Rect = [number, number, number, number];

export function unionRects(rects: Iterable<ArrayLike<number>>): Rect | undefined {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r[0]);
    y0 = Math.min(y0, r[1]);
    x1 = Math.max(x1, r[0] + r[2]);
    y1 = Math.max(y1, r[1] + r[3]);
  }
  return Number.isFinite(x0) ? [x0, y0, x1 - x0, y1 - y0] : undefined;
}

export interface MinimapLayout {
  /** Minimap pixels per graph unit. */
  scale: number;
  /** The graph point drawn at the minimap's top-left corner. */
  x: number;
  y: number;
}

/** Fits `bounds` (grown by `margin` graph units on each side) into a `w`×`h` minimap. */
export function minimapLayout(bounds: Rect, w: number, h: number, margin = 40): MinimapLayout {
  const bw = Math.max(1, bounds[2] + 2 * margin);
  const bh = Math.max(1, bounds[3] + 2 * margin);
  const scale = Math.min(w / bw, h / bh);
  // Centre the content on the axis with room to spare.
  const x = bounds[0] - margin - (w / scale - bw) / 2;
  const y = bounds[1] - margin - (h / scale - bh) / 2;
  return { scale, x, y };
}

export function toMinimap(l: MinimapLayout, gx: number, gy: number): [number, number] {
  return [(gx - l.x) * l.scale, (gy - l.y) * l.scale];
}

export function fromMinimap(l: MinimapLayout, mx: number, my: number): [number, number] {
  return [mx / l.scale + l.x, my / l.scale + l.y];
}
