// DDIM inversion step, following diffusers' DDIMInverseScheduler as in its current source (read
// 2025; the "change original implementation to exactly match noise levels for analogous forward
// process" formulation, in place since 2023):
//   timesteps ascend (e.g. 1, 21, …, 981 for SD leading/offset 1);
//   step(model_output, t, x):  target level t, source level s = min(t − T // n, T − 1);
//   ᾱ_s = ᾱ[s], or the boundary value (1 if set_alpha_to_one else ᾱ₀) when s < 0; ᾱ_t = ᾱ[t];
//   x̂₀ from the model output at the *source* level, clipped like the forward step;
//   x_t = sqrt(ᾱ_t)·x̂₀ + sqrt(1 − ᾱ_t)·ε̂   (no η: inversion is deterministic).
// So inverse step t undoes forward step t exactly (for a fixed model output): the forward step
// at t maps level t → s with the same ᾱ pair. The first diffusers versions stepped
// t → t + T // n with a `set_alpha_to_zero` flag; we do not follow those.
import { DDIM_DEFAULTS, parseSchedulerConfig, type SchedulerConfig } from './config.ts';
import { makeNoiseSchedule, type NoiseSchedule } from './betas.ts';
import { ddimInverseTimesteps, stepRatio } from './timesteps.ts';
import { alphaAt, predictX0AndEps } from './predict.ts';
import { checkTimestep, type StepResult } from './ddim.ts';

const f = Math.fround;

export interface DDIMInverseStepOptions {
  numInferenceSteps: number;
}

export class DDIMInverseScheduler {
  readonly config: SchedulerConfig;
  readonly schedule: NoiseSchedule;

  constructor(config: Partial<SchedulerConfig> = {}) {
    this.config = { ...DDIM_DEFAULTS, ...config };
    this.schedule = makeNoiseSchedule(this.config);
  }

  static fromDiffusersConfig(json: unknown, source?: string): DDIMInverseScheduler {
    return new DDIMInverseScheduler(parseSchedulerConfig(json, source));
  }

  /** Ascending timesteps. */
  timesteps(numInferenceSteps: number): Int32Array {
    return ddimInverseTimesteps(this.config, numInferenceSteps);
  }

  scaleModelInput(sample: Float32Array, _timestep?: number): Float32Array {
    return sample;
  }

  /**
   * One inversion step. `modelOutput` is the model evaluated on `sample` at `timestep` (as
   * diffusers' inversion loops do); returns the sample at noise level `timestep`.
   */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, opts: DDIMInverseStepOptions): StepResult {
    const { config, schedule } = this;
    const n = sample.length;
    if (modelOutput.length !== n) {
      throw new RangeError(`DDIM inverse step: model output has ${modelOutput.length} elements, sample has ${n}`);
    }
    checkTimestep(timestep, config.numTrainTimesteps);
    const source = Math.min(timestep - stepRatio(config, opts.numInferenceSteps), config.numTrainTimesteps - 1);
    const aSource = alphaAt(schedule, source);
    const aTarget = schedule.alphasCumprod[timestep];
    const { x0, eps } = predictX0AndEps(config, modelOutput, sample, aSource, false);

    const dirCoef = f(Math.sqrt(f(1 - aTarget)));
    const sqrtATarget = f(Math.sqrt(aTarget));
    const next = new Float32Array(n);
    for (let i = 0; i < n; i++) next[i] = f(f(sqrtATarget * x0[i]) + f(dirCoef * eps[i]));
    return { prevSample: next, predOriginalSample: x0 };
  }
}
