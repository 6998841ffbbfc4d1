// Shared by the DDIM step and its inverse: turn a model output into (x̂₀, ε̂) for the
// configured prediction type, clip x̂₀, in float32 op order as diffusers/PyTorch evaluate it.
import type { SchedulerConfig } from './config.ts';
import type { NoiseSchedule } from './betas.ts';

const f = Math.fround;

/** ᾱ_t for t ≥ 0, the boundary value (1 or ᾱ₀) for t < 0. */
export function alphaAt(schedule: NoiseSchedule, t: number): number {
  return t >= 0 ? schedule.alphasCumprod[t] : schedule.boundaryAlphaCumprod;
}

export function predictX0AndEps(
  config: SchedulerConfig,
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaProdT: number,
  useClippedModelOutput: boolean,
): { x0: Float32Array; eps: Float32Array } {
  const n = sample.length;
  const sa = f(Math.sqrt(alphaProdT));
  const sb = f(Math.sqrt(f(1 - alphaProdT)));
  const x0 = new Float32Array(n);
  const eps = new Float32Array(n);
  switch (config.predictionType) {
    case 'epsilon':
      for (let i = 0; i < n; i++) {
        x0[i] = f(f(sample[i] - f(sb * modelOutput[i])) / sa);
        eps[i] = modelOutput[i];
      }
      break;
    case 'sample':
      for (let i = 0; i < n; i++) {
        x0[i] = modelOutput[i];
        eps[i] = f(f(sample[i] - f(sa * modelOutput[i])) / sb);
      }
      break;
    case 'v_prediction':
      for (let i = 0; i < n; i++) {
        x0[i] = f(f(sa * sample[i]) - f(sb * modelOutput[i]));
        eps[i] = f(f(sa * modelOutput[i]) + f(sb * sample[i]));
      }
      break;
  }
  if (config.clipSample) {
    const r = f(config.clipSampleRange);
    for (let i = 0; i < n; i++) x0[i] = Math.min(r, Math.max(-r, x0[i]));
  }
  // diffusers re-derives ε̂ whenever asked, clipped or not (a no-op up to rounding when unclipped).
  if (useClippedModelOutput) {
    for (let i = 0; i < n; i++) eps[i] = f(f(sample[i] - f(sa * x0[i])) / sb);
  }
  return { x0, eps };
}
