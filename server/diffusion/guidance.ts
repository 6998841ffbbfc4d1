// Classifier-free guidance (Ho & Salimans 2022) as diffusers' pipelines apply it:
//   ε = ε_uncond + s·(ε_cond − ε_uncond)
// and the optional rescale of Lin et al. 2023 (diffusers `rescale_noise_cfg`, Sec. 3.4):
//   ε_rescaled = ε · std(ε_cond)/std(ε)   (std per batch item over C·H·W, unbiased, as torch.std)
//   ε ← φ·ε_rescaled + (1 − φ)·ε
// Element-wise ops are rounded to float32 in PyTorch's order; std accumulates in float64 (as
// torch's CPU kernel does).

const f = Math.fround;

export interface GuidanceOptions {
  /** Guidance scale s (1 = conditional prediction only, 0 = unconditional only). */
  scale: number;
  /** φ in [0, 1]; 0 (default) leaves the guided prediction unchanged. */
  rescale?: number;
  /** Batch items in each of `uncond` / `cond` (for the per-item std of the rescale). Default 1. */
  batch?: number;
  /** Optional output buffer (may alias `uncond`). */
  out?: Float32Array;
}

/** uncond + s·(cond − uncond), then the optional guidance rescale. */
export function classifierFreeGuidance(uncond: Float32Array, cond: Float32Array, opts: GuidanceOptions): Float32Array {
  const n = uncond.length;
  if (cond.length !== n) throw new RangeError(`guidance: uncond has ${n} elements, cond has ${cond.length}`);
  if (!Number.isFinite(opts.scale)) throw new RangeError(`guidance: scale must be a finite number, got ${opts.scale}`);
  const out = opts.out ?? new Float32Array(n);
  if (out.length !== n) throw new RangeError(`guidance: out has ${out.length} elements, expected ${n}`);
  const s = f(opts.scale);
  for (let i = 0; i < n; i++) out[i] = f(uncond[i] + f(s * f(cond[i] - uncond[i])));
  const phi = opts.rescale ?? 0;
  if (phi > 0) rescaleNoiseCfg(out, cond, phi, opts.batch ?? 1, out);
  return out;
}

/**
 * The same for a model output holding the doubled batch [uncond…, cond…] (diffusers' order of
 * `torch.cat([negative_prompt_embeds, prompt_embeds])`); returns one batch.
 */
export function guidanceFromDoubledBatch(modelOutput: Float32Array, opts: Omit<GuidanceOptions, 'out'>): Float32Array {
  if (modelOutput.length % 2 !== 0) {
    throw new RangeError(`guidance: doubled batch has an odd element count ${modelOutput.length}`);
  }
  const half = modelOutput.length / 2;
  return classifierFreeGuidance(modelOutput.subarray(0, half), modelOutput.subarray(half), opts);
}

/** diffusers `rescale_noise_cfg`: guided ε rescaled towards the std of the conditional ε. */
export function rescaleNoiseCfg(
  noiseCfg: Float32Array,
  noisePredText: Float32Array,
  guidanceRescale: number,
  batch = 1,
  out: Float32Array = new Float32Array(noiseCfg.length),
): Float32Array {
  const n = noiseCfg.length;
  if (noisePredText.length !== n) throw new RangeError(`rescaleNoiseCfg: ${n} vs ${noisePredText.length} elements`);
  if (!(guidanceRescale >= 0 && guidanceRescale <= 1)) {
    throw new RangeError(`guidance rescale must be in [0, 1], got ${guidanceRescale}`);
  }
  if (!Number.isInteger(batch) || batch < 1 || n % batch !== 0) {
    throw new RangeError(`rescaleNoiseCfg: ${n} elements cannot be split into ${batch} batch items`);
  }
  const per = n / batch;
  const phi = f(guidanceRescale);
  const keep = f(1 - guidanceRescale);
  for (let b = 0; b < batch; b++) {
    const lo = b * per;
    const hi = lo + per;
    const ratio = f(f(std(noisePredText, lo, hi)) / f(std(noiseCfg, lo, hi)));
    for (let i = lo; i < hi; i++) {
      const v = noiseCfg[i];
      out[i] = f(f(phi * f(v * ratio)) + f(keep * v));
    }
  }
  return out;
}

/** Unbiased standard deviation of a[lo, hi) in float64 (two-pass). */
function std(a: Float32Array, lo: number, hi: number): number {
  const m = hi - lo;
  if (m < 2) return NaN;
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += a[i];
  const mean = sum / m;
  let ss = 0;
  for (let i = lo; i < hi; i++) ss += (a[i] - mean) ** 2;
  return Math.sqrt(ss / (m - 1));
}
