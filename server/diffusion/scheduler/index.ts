// Public API of the DDIM scheduler family (pure Float32Array maths; pipelines call it per step).
export {
  DDIM_DEFAULTS,
  SD15_SCHEDULER,
  SchedulerConfigError,
  parseSchedulerConfig,
  readSchedulerConfig,
  type BetaSchedule,
  type PredictionType,
  type SchedulerConfig,
  type TimestepSpacing,
} from './config.ts';
export { linspaceF32, makeBetas, makeNoiseSchedule, rescaleZeroTerminalSnr, type NoiseSchedule } from './betas.ts';
export { ddimInverseTimesteps, ddimTimesteps, roundHalfEven, stepRatio } from './timesteps.ts';
export { DDIMScheduler, type DDIMStepOptions, type StepResult } from './ddim.ts';
export { DDIMInverseScheduler, type DDIMInverseStepOptions } from './ddim-inverse.ts';
