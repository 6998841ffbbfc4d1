// Inference timesteps as diffusers' DDIMScheduler / DDIMInverseScheduler `set_timesteps` make
// them (NumPy float64 arithmetic, np.round = round half to even):
//   leading : (arange(n) · (T // n)).round() + steps_offset               e.g. 981, 961, …, 1
//   trailing: round(arange(T, 0, −T/n)) − 1                                e.g. 999, 979, …, 19
//   linspace: linspace(0, T−1, n).round()                                  e.g. 999, 979, …, 0
// Forward (sampling) order is descending; inversion uses the same set ascending.
// One deliberate difference: for some n (61, 103, 121, … of T = 1000) NumPy's float `arange`
// yields n+1 trailing values, the extra one being −1; we always return exactly n.
import type { SchedulerConfig, TimestepSpacing } from './config.ts';

/** NumPy's np.round: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; pull exact halves that landed on an odd integer back down.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkSteps(n: number, T: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`num_inference_steps must be an integer >= 1, got ${n}`);
  if (n > T) {
    throw new RangeError(`num_inference_steps (${n}) cannot be larger than num_train_timesteps (${T})`);
  }
}

/** Timesteps in ascending order for a spacing (shared by sampling and inversion). */
function ascending(spacing: TimestepSpacing, n: number, T: number, stepsOffset: number): Int32Array {
  const out = new Int32Array(n);
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    for (let k = 0; k < n; k++) out[k] = k * ratio + stepsOffset;
  } else if (spacing === 'trailing') {
    // np.arange(T, 0, -r) fills start + k·delta with delta = (start + step) − start.
    const delta = T - T / n - T;
    for (let k = 0; k < n; k++) out[n - 1 - k] = roundHalfEven(T + k * delta) - 1;
  } else {
    // np.linspace(0, T-1, n): k · ((T−1)/(n−1)), last element exactly T−1.
    if (n === 1) {
      out[0] = 0;
    } else {
      const step = (T - 1) / (n - 1);
      for (let k = 0; k < n - 1; k++) out[k] = roundHalfEven(k * step);
      out[n - 1] = T - 1;
    }
  }
  return out;
}

/** DDIMScheduler.set_timesteps: descending timesteps for sampling. */
export function ddimTimesteps(config: SchedulerConfig, numInferenceSteps: number): Int32Array {
  const T = config.numTrainTimesteps;
  checkSteps(numInferenceSteps, T);
  return ascending(config.timestepSpacing, numInferenceSteps, T, config.stepsOffset).reverse();
}

/**
 * DDIMInverseScheduler.set_timesteps: ascending timesteps for inversion. diffusers supports
 * only `leading` (with steps_offset) and `trailing` here; for `linspace` we return the
 * sampling timesteps reversed (diffusers raises), which pairs each inverse step with the
 * forward step it undoes.
 */
export function ddimInverseTimesteps(config: SchedulerConfig, numInferenceSteps: number): Int32Array {
  const T = config.numTrainTimesteps;
  checkSteps(numInferenceSteps, T);
  return ascending(config.timestepSpacing, numInferenceSteps, T, config.stepsOffset);
}

/** The stride diffusers' DDIM step uses between t and its neighbour: T // n, for any spacing. */
export function stepRatio(config: SchedulerConfig, numInferenceSteps: number): number {
  checkSteps(numInferenceSteps, config.numTrainTimesteps);
  return Math.floor(config.numTrainTimesteps / numInferenceSteps);
}
