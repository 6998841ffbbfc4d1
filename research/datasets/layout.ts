// Tensor layout helpers between the dataset (NHWC in [0,1]) and model inputs (NCHW, usually in [-1,1]).

/** NHWC → NCHW, mapping [0,1] to [lo, hi] (default [-1,1], what diffusion models train on). */
export function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c = 3, range: [number, number] = [-1, 1]): Float32Array {
  if (data.length !== n * h * w * c) throw new RangeError(`nhwcToNchw: ${data.length} floats is not ${n}×${h}×${w}×${c}`);
  const [lo, hi] = range;
  const k = hi - lo;
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = lo + k * data[base + p * c + ch];
  }
  return out;
}

/** NCHW in [lo, hi] → NHWC in [0,1] (clamped), the IMAGE socket layout. */
export function nchwToNhwc(data: Float32Array, n: number, h: number, w: number, c = 3, range: [number, number] = [-1, 1]): Float32Array {
  if (data.length !== n * h * w * c) throw new RangeError(`nchwToNhwc: ${data.length} floats is not ${n}×${c}×${h}×${w}`);
  const [lo, hi] = range;
  const k = 1 / (hi - lo);
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let p = 0; p < plane; p++)
      for (let ch = 0; ch < c; ch++) {
        const v = (data[base + ch * plane + p] - lo) * k;
        out[base + p * c + ch] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
  }
  return out;
}
