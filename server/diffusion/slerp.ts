// Spherical linear interpolation over a whole tensor (flattened), the variant used throughout
// Stable Diffusion tooling (and by CoSINE editing to mix an inverted latent with fresh noise):
//   cos θ = <a, b> / (‖a‖‖b‖);  if |cos θ| > 0.9995: lerp (the vectors are nearly parallel and
//   sin θ ≈ 0 would be unstable); else  sin((1−α)θ)/sin θ · a + sin(αθ)/sin θ · b.
// The vectors are not normalised first, so two unit vectors stay on the unit sphere.
// Computed in float64, returned as float32.

export const SLERP_DOT_THRESHOLD = 0.9995;

/** slerp(0, a, b) = a, slerp(1, a, b) = b. */
export function slerp(
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  dotThreshold: number = SLERP_DOT_THRESHOLD,
): Float32Array {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`slerp: tensors differ in size (${n} vs ${b.length})`);
  if (!Number.isFinite(alpha)) throw new RangeError(`slerp: alpha must be a finite number, got ${alpha}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = dot / (Math.sqrt(na) * Math.sqrt(nb));
  let ca: number;
  let cb: number;
  if (!Number.isFinite(cos) || Math.abs(cos) > dotThreshold) {
    // Nearly (anti)parallel, or a zero tensor: plain linear interpolation.
    ca = 1 - alpha;
    cb = alpha;
  } else {
    const theta = Math.acos(cos);
    const sinTheta = Math.sin(theta);
    ca = Math.sin(theta - alpha * theta) / sinTheta;
    cb = Math.sin(alpha * theta) / sinTheta;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i];
  return out;
}

/** (1 − α)·a + α·b in float64, returned as float32. */
export function lerp(alpha: number, a: Float32Array, b: Float32Array): Float32Array {
  if (b.length !== a.length) throw new RangeError(`lerp: tensors differ in size (${a.length} vs ${b.length})`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (1 - alpha) * a[i] + alpha * b[i];
  return out;
}
