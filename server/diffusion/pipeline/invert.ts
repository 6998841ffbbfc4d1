// DDIM inversion (z₀ → z_T) following diffusers' current DDIMInverseScheduler (see
// scheduler/ddim-inverse.ts): ascending timesteps; at step t the UNet is evaluated on the
// current latent at t (as diffusers' inversion loops do) and the latent moves from level
// t − T//n to level t. Guidance 1 by default (CoSINE: target prompt, no CFG).
import type { LoadedModel } from '../model/index.ts';
import { checkFinite, checkPrompt, checkSteps } from './checks.ts';
import { Denoiser } from './denoiser.ts';
import { InputError } from '../../core/index.ts';
import { checkLatent, type Latent } from './latent.ts';
import type { LoopOptions } from './sample.ts';

export interface InvertOptions extends LoopOptions {
  /** z₀: the encoded image (scaled latents). */
  latent: Latent;
}

export async function invertLatents(model: LoadedModel, o: InvertOptions): Promise<Latent> {
  checkPrompt(o.prompt);
  checkSteps(model, o.steps);
  checkFinite('guidance', o.guidance, 0, 100);
  try {
    checkLatent(o.latent);
  } catch (e) {
    throw new InputError('latent', (e as Error).message);
  }
  const shape: [number, number, number, number] = [...o.latent.shape];
  const scheduler = model.inverseScheduler();
  const denoiser = await Denoiser.create(model, { ...o, batch: shape[0], sizeInput: 'latent' });
  const timesteps = scheduler.timesteps(o.steps);
  let x: Float32Array = o.latent.samples.slice();
  for (let i = 0; i < timesteps.length; i++) {
    o.signal?.throwIfAborted();
    const t = timesteps[i];
    const eps = await denoiser.predict(x, shape, t, { last: i === timesteps.length - 1 });
    const r = scheduler.step(eps, t, x, { numInferenceSteps: o.steps });
    x = r.prevSample;
    if (o.onStep) await o.onStep({ step: i + 1, total: timesteps.length, timestep: t, x0: { samples: r.predOriginalSample, shape } });
  }
  return { samples: x, shape };
}
