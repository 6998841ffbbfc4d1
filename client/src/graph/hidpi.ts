// Device pixels for the canvases: a backing store of CSS size × devicePixelRatio, and a
// notice when that ratio changes (the window moved to another screen, or the browser zoomed).
// litegraph works in CSS pixels (pointer positions, node sizes) and expects the 2D context to
// carry the ratio: its background canvas sets `scale(dpr)` itself, the front one relies on
// whoever sized the canvas (StudioCanvas sets it every frame).

/** Backing-store size (device pixels, at least 1×1) of a canvas `cssW`×`cssH` CSS pixels. */
export function backingSize(cssW: number, cssH: number, dpr: number): [number, number] {
  const r = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  return [Math.max(1, Math.round(cssW * r)), Math.max(1, Math.round(cssH * r))];
}

export function pixelRatio(): number {
  const r = typeof window === 'undefined' ? 1 : window.devicePixelRatio;
  return r > 0 && Number.isFinite(r) ? r : 1;
}

/**
 * Calls `fn` whenever devicePixelRatio changes; returns the undo. A resolution media query
 * fires once when the ratio leaves its value, so each change arms a query for the new one.
 */
export function onPixelRatioChange(fn: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return () => {};
  let query: MediaQueryList | undefined;
  let stopped = false;
  const changed = () => {
    if (stopped) return;
    arm();
    fn();
  };
  const arm = () => {
    query?.removeEventListener('change', changed);
    query = window.matchMedia(`(resolution: ${pixelRatio()}dppx)`);
    query.addEventListener('change', changed);
  };
  arm();
  return () => {
    stopped = true;
    query?.removeEventListener('change', changed);
  };
}

/**
 * Sizes `el`'s backing store for its CSS size at the current ratio (CSS size stays `cssW`×`cssH`).
 * Returns true when the backing store changed (which also resets the context's transform).
 */
export function fitCanvas(el: HTMLCanvasElement, cssW: number, cssH: number, dpr = pixelRatio()): boolean {
  const [bw, bh] = backingSize(cssW, cssH, dpr);
  el.style.width = `${cssW}px`;
  el.style.height = `${cssH}px`;
  if (el.width === bw && el.height === bh) return false;
  el.width = bw;
  el.height = bh;
  return true;
}

/**
 * True when `el`'s backing store no longer fits its CSS size (as fitCanvas set it) at the
 * current ratio: checked before every frame, for ratio changes no event reported.
 */
export function backingStale(el: HTMLCanvasElement, dpr = pixelRatio()): boolean {
  const w = parseFloat(el.style.width);
  const h = parseFloat(el.style.height);
  if (!(w >= 0) || !(h >= 0)) return false;
  const [bw, bh] = backingSize(w, h, dpr);
  return el.width !== bw || el.height !== bh;
}
