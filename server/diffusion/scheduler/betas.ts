// Noise schedule (betas, alphas, ᾱ = alphas_cumprod) computed the way diffusers computes it
// with PyTorch on the CPU, so values agree with diffusers to float32 rounding:
// - torch.linspace(start, end, n, float32): start/end rounded to float32, step = (end−start)/(n−1)
//   in float32, element i = start + step·i for i < n/2, else end − step·(n−1−i) (the scalar
//   kernel; torch's SIMD path can differ by one float32 ulp in some elements);
// - `** 2`, `1 − β` are float32 ops;
// - torch.cumprod on the CPU accumulates in float64 and rounds each output to float32.
// Math.fround after every float32 op reproduces IEEE single-precision arithmetic exactly.
import type { SchedulerConfig } from './config.ts';

const f = Math.fround;

/** torch.linspace(start, end, steps, dtype=float32), CPU scalar kernel. */
export function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 0) return out;
  const s = f(start);
  const e = f(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f(f(e - s) / f(steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  }
  return out;
}

/** Glide's cosine schedule (diffusers `betas_for_alpha_bar`, cosine), float64 then float32. */
function squaredCosCapV2(n: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta);
  }
  return out;
}

/** Zero-terminal-SNR rescale (Lin et al. 2023, Algorithm 1), in float32 ops as diffusers does. */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const n = betas.length;
  const sqrtAbar = new Float32Array(n);
  let acc = 1; // cumprod accumulates in float64 (torch CPU)
  for (let i = 0; i < n; i++) {
    acc *= f(1 - betas[i]);
    sqrtAbar[i] = f(Math.sqrt(f(acc)));
  }
  const a0 = sqrtAbar[0];
  const aT = sqrtAbar[n - 1];
  const scale = f(a0 / f(a0 - aT));
  const abar = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const shifted = f(f(sqrtAbar[i] - aT) * scale);
    abar[i] = f(shifted * shifted);
  }
  const out = new Float32Array(n);
  out[0] = f(1 - abar[0]);
  for (let i = 1; i < n; i++) out[i] = f(1 - f(abar[i] / abar[i - 1]));
  return out;
}

export function makeBetas(config: SchedulerConfig): Float32Array {
  const n = config.numTrainTimesteps;
  let betas: Float32Array;
  if (config.trainedBetas) {
    betas = Float32Array.from(config.trainedBetas);
  } else if (config.betaSchedule === 'linear') {
    betas = linspaceF32(config.betaStart, config.betaEnd, n);
  } else if (config.betaSchedule === 'scaled_linear') {
    // "Specific to latent diffusion": linear in sqrt(β), squared.
    betas = linspaceF32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n);
    for (let i = 0; i < n; i++) betas[i] = f(betas[i] * betas[i]);
  } else {
    betas = squaredCosCapV2(n);
  }
  return config.rescaleBetasZeroSnr ? rescaleZeroTerminalSnr(betas) : betas;
}

export interface NoiseSchedule {
  readonly betas: Float32Array;
  readonly alphas: Float32Array;
  /** ᾱ_t = Π_{s≤t} (1 − β_s), index t = 0 … T−1. */
  readonly alphasCumprod: Float32Array;
  /** ᾱ used "before" t = 0: 1 when set_alpha_to_one, else ᾱ₀ (diffusers final/initial_alpha_cumprod). */
  readonly boundaryAlphaCumprod: number;
}

export function makeNoiseSchedule(config: SchedulerConfig): NoiseSchedule {
  const betas = makeBetas(config);
  const n = betas.length;
  const alphas = new Float32Array(n);
  const alphasCumprod = new Float32Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    alphas[i] = f(1 - betas[i]);
    acc *= alphas[i];
    alphasCumprod[i] = acc;
  }
  return {
    betas,
    alphas,
    alphasCumprod,
    boundaryAlphaCumprod: config.setAlphaToOne ? 1 : alphasCumprod[0],
  };
}
