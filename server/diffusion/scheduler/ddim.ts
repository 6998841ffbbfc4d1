// DDIM sampling step (Song et al. 2020, eqs. 12 and 16) with diffusers' DDIMScheduler semantics:
//   prev_t = t − T // n (any spacing); ᾱ_prev = ᾱ[prev_t], or the boundary value when prev_t < 0;
//   x̂₀ from the model output (ε, v or x₀), optionally clipped to ±clip_sample_range;
//   σ_t = η · sqrt((1−ᾱ_prev)/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_prev));
//   x_prev = sqrt(ᾱ_prev)·x̂₀ + sqrt(1 − ᾱ_prev − σ_t²)·ε̂ + σ_t·z.
// Every scalar and element-wise operation is rounded to float32 in the order PyTorch evaluates
// the diffusers expressions (Math.fround), so a step agrees with diffusers on CPU bit for bit
// given the same inputs. The caller passes z (variance noise) from its seeded RNG when η > 0.
import { DDIM_DEFAULTS, parseSchedulerConfig, type SchedulerConfig } from './config.ts';
import { makeNoiseSchedule, type NoiseSchedule } from './betas.ts';
import { ddimInverseTimesteps, ddimTimesteps, stepRatio } from './timesteps.ts';
import { alphaAt, predictX0AndEps } from './predict.ts';

const f = Math.fround;

export interface DDIMStepOptions {
  /** Number of inference steps the timestep belongs to (fixes the stride T // n). */
  numInferenceSteps: number;
  /** η: 0 = deterministic DDIM, 1 = DDPM-like variance. Default 0. */
  eta?: number;
  /** Re-derive ε̂ from the clipped x̂₀ (diffusers `use_clipped_model_output`). Default false. */
  useClippedModelOutput?: boolean;
  /** z ~ N(0, I), same length as the sample; required when η > 0. */
  varianceNoise?: Float32Array;
}

export interface StepResult {
  /** x_{t−1} for sampling, or the next, noisier sample for inversion. */
  prevSample: Float32Array;
  /** x̂₀, the model's estimate of the clean sample (after clipping). */
  predOriginalSample: Float32Array;
}

export class DDIMScheduler {
  readonly config: SchedulerConfig;
  readonly schedule: NoiseSchedule;
  /** Standard deviation of the initial noise (1 for DDIM). */
  readonly initNoiseSigma = 1;

  constructor(config: Partial<SchedulerConfig> = {}) {
    this.config = { ...DDIM_DEFAULTS, ...config };
    this.schedule = makeNoiseSchedule(this.config);
  }

  /** Builds a scheduler from a parsed diffusers scheduler_config.json. */
  static fromDiffusersConfig(json: unknown, source?: string): DDIMScheduler {
    return new DDIMScheduler(parseSchedulerConfig(json, source));
  }

  /** Descending sampling timesteps (diffusers `set_timesteps`). */
  timesteps(numInferenceSteps: number): Int32Array {
    return ddimTimesteps(this.config, numInferenceSteps);
  }

  /** Ascending timesteps for DDIM inversion (diffusers DDIMInverseScheduler `set_timesteps`). */
  inverseTimesteps(numInferenceSteps: number): Int32Array {
    return ddimInverseTimesteps(this.config, numInferenceSteps);
  }

  /** ᾱ_t as float32; t < 0 gives the boundary value (1 or ᾱ₀ per set_alpha_to_one). */
  alphaCumprod(t: number): number {
    return alphaAt(this.schedule, t);
  }

  /** DDIM needs no input scaling; kept so pipelines can treat schedulers uniformly. */
  scaleModelInput(sample: Float32Array, _timestep?: number): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, opts: DDIMStepOptions): StepResult {
    const { config, schedule } = this;
    const n = sample.length;
    if (modelOutput.length !== n) {
      throw new RangeError(`DDIM step: model output has ${modelOutput.length} elements, sample has ${n}`);
    }
    checkTimestep(timestep, config.numTrainTimesteps);
    const eta = opts.eta ?? 0;
    if (!(eta >= 0)) throw new RangeError(`DDIM step: eta must be >= 0, got ${eta}`);
    const noise = opts.varianceNoise;
    if (eta > 0) {
      if (!noise) throw new Error('DDIM step: eta > 0 needs varianceNoise (draw it from the seeded RNG)');
      if (noise.length !== n) throw new RangeError(`DDIM step: varianceNoise has ${noise.length} elements, sample has ${n}`);
    }

    const prevT = timestep - stepRatio(config, opts.numInferenceSteps);
    const aT = schedule.alphasCumprod[timestep];
    const aPrev = alphaAt(schedule, prevT);
    const { x0, eps } = predictX0AndEps(config, modelOutput, sample, aT, opts.useClippedModelOutput ?? false);

    const bT = f(1 - aT);
    const bPrev = f(1 - aPrev);
    const variance = f(f(bPrev / bT) * f(1 - f(aT / aPrev)));
    const std = f(f(eta) * f(Math.sqrt(variance)));
    // 1 − ᾱ_prev − σ² ≥ 0 in exact arithmetic; clamp the float32 rounding that could dip below.
    const dirCoef = f(Math.sqrt(Math.max(0, f(bPrev - f(std * std)))));
    const sqrtAPrev = f(Math.sqrt(aPrev));

    const prev = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = f(f(sqrtAPrev * x0[i]) + f(dirCoef * eps[i]));
      if (eta > 0) v = f(v + f(std * noise![i]));
      prev[i] = v;
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  /** Forward diffusion q(x_t | x₀): sqrt(ᾱ_t)·x₀ + sqrt(1−ᾱ_t)·ε. `timesteps`: one, or one per batch item. */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: number | ArrayLike<number>): Float32Array {
    return this.perBatch('addNoise', original, noise, timesteps, (a, b, x, e) => f(f(a * x) + f(b * e)));
  }

  /** v-prediction target: sqrt(ᾱ_t)·ε − sqrt(1−ᾱ_t)·x₀. */
  getVelocity(sample: Float32Array, noise: Float32Array, timesteps: number | ArrayLike<number>): Float32Array {
    return this.perBatch('getVelocity', sample, noise, timesteps, (a, b, x, e) => f(f(a * e) - f(b * x)));
  }

  private perBatch(
    what: string,
    x: Float32Array,
    e: Float32Array,
    timesteps: number | ArrayLike<number>,
    op: (sqrtA: number, sqrtB: number, x: number, e: number) => number,
  ): Float32Array {
    if (x.length !== e.length) throw new RangeError(`${what}: sample has ${x.length} elements, noise has ${e.length}`);
    const ts = typeof timesteps === 'number' ? [timesteps] : Array.from(timesteps);
    if (ts.length === 0 || x.length % ts.length !== 0) {
      throw new RangeError(`${what}: ${x.length} elements cannot be split into ${ts.length} batch items`);
    }
    const per = x.length / ts.length;
    const out = new Float32Array(x.length);
    for (let b = 0; b < ts.length; b++) {
      const t = ts[b];
      checkTimestep(t, this.config.numTrainTimesteps);
      const a = this.schedule.alphasCumprod[t];
      const sqrtA = f(Math.sqrt(a));
      const sqrtB = f(Math.sqrt(f(1 - a)));
      for (let i = b * per, end = i + per; i < end; i++) out[i] = op(sqrtA, sqrtB, x[i], e[i]);
    }
    return out;
  }
}

export function checkTimestep(t: number, T: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= T) {
    throw new RangeError(`timestep must be an integer in [0, ${T - 1}], got ${t}`);
  }
}
