// Scheduler configuration as diffusers writes it in `scheduler/scheduler_config.json`.
// Missing fields take diffusers' DDIMScheduler defaults (a PNDM config from an SD export is
// read the way `DDIMScheduler.from_config(pndm_config)` reads it). Unknown keys are ignored
// (`_class_name`, `skip_prk_steps`, ...); known keys with values we cannot honour are errors
// that name the field.
import { readFileSync } from 'node:fs';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  /** Explicit betas (diffusers `trained_betas`), overriding the schedule when set. */
  trainedBetas: readonly number[] | null;
  timestepSpacing: TimestepSpacing;
  stepsOffset: number;
  setAlphaToOne: boolean;
  predictionType: PredictionType;
  clipSample: boolean;
  clipSampleRange: number;
  rescaleBetasZeroSnr: boolean;
}

/** diffusers DDIMScheduler constructor defaults. */
export const DDIM_DEFAULTS: Readonly<SchedulerConfig> = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  trainedBetas: null,
  timestepSpacing: 'leading',
  stepsOffset: 0,
  setAlphaToOne: true,
  predictionType: 'epsilon',
  clipSample: true,
  clipSampleRange: 1.0,
  rescaleBetasZeroSnr: false,
});

/** Stable Diffusion 1.x's scheduler settings (its scheduler_config.json read as DDIM). */
export const SD15_SCHEDULER: Readonly<SchedulerConfig> = Object.freeze({
  ...DDIM_DEFAULTS,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  stepsOffset: 1,
  setAlphaToOne: false,
  clipSample: false,
});

const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
const SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];
const PREDICTIONS: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];

export class SchedulerConfigError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    message: string,
  ) {
    super(`${source}: field "${field}" ${message}`);
    this.name = 'SchedulerConfigError';
  }
}

/**
 * Reads a parsed diffusers scheduler config. `source` names the file in error messages.
 * Partial overrides in camelCase can be applied afterwards with `{...cfg, eta...}` spreads.
 */
export function parseSchedulerConfig(json: unknown, source = 'scheduler_config.json'): SchedulerConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SchedulerConfigError(source, '(root)', 'must be a JSON object');
  }
  const raw = json as Record<string, unknown>;
  const fail = (field: string, msg: string): never => {
    throw new SchedulerConfigError(source, field, msg);
  };
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;

  const int = (k: string, dflt: number, min: number): number => {
    if (!has(k)) return dflt;
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      fail(k, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const num = (k: string, dflt: number, check: (v: number) => boolean, what: string): number => {
    if (!has(k)) return dflt;
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
      fail(k, `must be ${what}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    if (!has(k)) return dflt;
    const v = raw[k];
    if (typeof v !== 'boolean') fail(k, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const oneOf = <T extends string>(k: string, dflt: T, allowed: readonly T[]): T => {
    if (!has(k)) return dflt;
    const v = raw[k];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(k, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  };

  const d = DDIM_DEFAULTS;
  const numTrainTimesteps = int('num_train_timesteps', d.numTrainTimesteps, 1);
  const betaStart = num('beta_start', d.betaStart, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  const betaEnd = num('beta_end', d.betaEnd, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  const betaSchedule = oneOf('beta_schedule', d.betaSchedule, BETA_SCHEDULES);

  let trainedBetas: number[] | null = null;
  if (has('trained_betas')) {
    const v = raw.trained_betas;
    if (!Array.isArray(v) || v.length !== numTrainTimesteps || !v.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
      fail('trained_betas', `must be null or an array of ${numTrainTimesteps} numbers in [0, 1)`);
    }
    trainedBetas = (v as number[]).slice();
  }

  const thresholding = bool('thresholding', false);
  if (thresholding) fail('thresholding', 'is true: dynamic thresholding is not supported (set it to false)');

  const predictionType = oneOf('prediction_type', d.predictionType, PREDICTIONS);
  const timestepSpacing = oneOf('timestep_spacing', d.timestepSpacing, SPACINGS);
  const stepsOffset = int('steps_offset', d.stepsOffset, 0);
  if (stepsOffset >= numTrainTimesteps) fail('steps_offset', `must be < num_train_timesteps (${numTrainTimesteps})`);

  return {
    numTrainTimesteps,
    betaStart,
    betaEnd,
    betaSchedule,
    trainedBetas,
    timestepSpacing,
    stepsOffset,
    setAlphaToOne: bool('set_alpha_to_one', d.setAlphaToOne),
    predictionType,
    clipSample: bool('clip_sample', d.clipSample),
    clipSampleRange: num('clip_sample_range', d.clipSampleRange, (v) => v > 0, 'a number > 0'),
    rescaleBetasZeroSnr: bool('rescale_betas_zero_snr', d.rescaleBetasZeroSnr),
  };
}

/** Reads and parses a scheduler_config.json file; errors name the file. */
export function readSchedulerConfig(file: string): SchedulerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`scheduler config not found or unreadable: ${file} (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  return parseSchedulerConfig(json, file);
}
