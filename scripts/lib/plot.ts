// A minimal line plot rendered to PNG (loss curves): no charting library renders to PNG in
// Node without a native canvas, and a polyline on a grid is all a loss curve needs.
import { encodePng } from '../../server/image/index.ts';

export interface PlotOptions {
  width?: number;
  height?: number;
  /** Plot log10(y): loss curves span decades. */
  logY?: boolean;
}

export function plotLinePng(ys: readonly number[], opts: PlotOptions = {}): Uint8Array {
  const W = opts.width ?? 640;
  const H = opts.height ?? 320;
  const pad = 24;
  const img = new Float32Array(W * H * 3).fill(1);
  const put = (x: number, y: number, r: number, g: number, b: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (Math.round(y) * W + Math.round(x)) * 3;
    img[i] = r;
    img[i + 1] = g;
    img[i + 2] = b;
  };
  const vals = ys.map((y) => (opts.logY ? Math.log10(Math.max(y, 1e-12)) : y)).filter(Number.isFinite);
  if (vals.length < 2) return encodePng(img, W, H);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const span = hi - lo || 1;
  // Grid: 5 horizontal lines, axes.
  for (let k = 0; k <= 4; k++) for (let x = pad; x < W - pad; x++) put(x, pad + ((H - 2 * pad) * k) / 4, 0.85, 0.85, 0.85);
  for (let y = pad; y < H - pad; y++) put(pad, y, 0.3, 0.3, 0.3);
  for (let x = pad; x < W - pad; x++) put(x, H - pad, 0.3, 0.3, 0.3);
  const px = (i: number) => pad + ((W - 2 * pad) * i) / (vals.length - 1);
  const py = (v: number) => H - pad - ((H - 2 * pad) * (v - lo)) / span;
  for (let i = 1; i < vals.length; i++) {
    const [x0, y0, x1, y1] = [px(i - 1), py(vals[i - 1]), px(i), py(vals[i])];
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s <= n; s++) put(x0 + ((x1 - x0) * s) / n, y0 + ((y1 - y0) * s) / n, 0.1, 0.3, 0.8);
  }
  return encodePng(img, W, H);
}
