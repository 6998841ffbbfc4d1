// Checks on the sampling settings shared by Sample and DDIM Invert.
import type { LoadedModel } from '../model/index.ts';
import { InputError } from '../../core/index.ts';
import { ddimTimesteps } from '../scheduler/index.ts';

export function checkPrompt(prompt: string, input = 'prompt'): void {
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new InputError(input, 'is empty; describe the image (e.g. "a photo of a sks dog")');
}

/**
 * The most steps a Sample or DDIM Invert widget offers: below num_train_timesteps (1000 for SD
 * and the embedded model), since `leading` spacing with steps_offset 1 reaches t = 1000 at 1000
 * steps and checkSteps refuses that at run time.
 */
export const MAX_STEPS = 999;

export function checkSteps(model: LoadedModel, steps: number): void {
  const T = model.config.scheduler.numTrainTimesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new InputError('steps', `must be an integer from 1 to ${T}, got ${steps}`);
  // `leading` spacing with steps_offset ≥ 1 overshoots T − 1 at steps = T (diffusers indexes past
  // the end there): refuse it up front instead of failing inside the loop.
  const cfg = model.config.scheduler;
  const last = Math.max(...ddimTimesteps(cfg, steps));
  if (last > T - 1) throw new InputError('steps', `${steps} steps reach timestep ${last} with ${cfg.timestepSpacing} spacing and steps_offset ${cfg.stepsOffset}; use at most ${steps - 1}`);
}

export function checkFinite(input: string, v: number, min = -Infinity, max = Infinity): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new InputError(input, `must be a number${Number.isFinite(min) ? ` ≥ ${min}` : ''}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}, got ${v}`);
  }
}
