// Text-to-image denoising with DDIM (diffusers' DDIMScheduler semantics, η and classifier-free
// guidance). Starts from a given latent x_T (DDIM Invert, Slerp Noise, Random Noise) or from
// seeded noise randn(seed, [n, C, h, w]) over the whole batch tensor (Philox4x32-10, stream 0,
// see rng.ts); η > 0 draws its per-step variance noise from the same seed's stream 1.
import { Rng, randn, type Seed } from '../rng.ts';
import type { LoadedModel } from '../model/index.ts';
import { checkFinite, checkPrompt, checkSteps } from './checks.ts';
import { Denoiser } from './denoiser.ts';
import { InputError } from '../../core/index.ts';
import { checkLatent, type Latent } from './latent.ts';
import type { PartOverride } from './overrides.ts';
import { latentShapeFor } from './size.ts';

export interface StepInfo {
  /** 1-based step just finished. */
  step: number;
  total: number;
  timestep: number;
  /** The step's x̂₀ estimate (same space as the returned latent). */
  x0: Latent;
}

export interface LoopOptions {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  guidance: number;
  overrides?: readonly PartOverride[];
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void | Promise<void>;
}

export interface SampleOptions extends LoopOptions {
  eta?: number;
  seed: Seed;
  /** Start latent x_T; when absent, seeded noise of width × height × batch. */
  latent?: Latent;
  width?: number;
  height?: number;
  batch?: number;
}

export async function sampleLatents(model: LoadedModel, o: SampleOptions): Promise<Latent> {
  checkPrompt(o.prompt);
  checkSteps(model, o.steps);
  checkFinite('guidance', o.guidance, 0, 100);
  const eta = o.eta ?? 0;
  checkFinite('eta', eta, 0, 1);
  let shape: [number, number, number, number];
  let x: Float32Array;
  if (o.latent) {
    try {
      checkLatent(o.latent);
    } catch (e) {
      throw new InputError('latent', (e as Error).message);
    }
    if (o.latent.shape[1] !== model.latentChannels) {
      throw new InputError('latent', `has ${o.latent.shape[1]} channels, ${model.name} uses ${model.latentChannels}`);
    }
    shape = [...o.latent.shape];
    x = o.latent.samples.slice();
  } else {
    shape = latentShapeFor(model, o.width ?? 0, o.height ?? 0, o.batch ?? 1);
    x = randn(o.seed, shape);
  }
  const scheduler = model.scheduler();
  for (let i = 0; i < x.length; i++) x[i] *= scheduler.initNoiseSigma;
  const denoiser = await Denoiser.create(model, { ...o, batch: shape[0], sizeInput: o.latent ? 'latent' : 'width' });
  const varianceRng = eta > 0 ? new Rng(o.seed, 1) : undefined;
  const timesteps = scheduler.timesteps(o.steps);
  for (let i = 0; i < timesteps.length; i++) {
    o.signal?.throwIfAborted();
    const t = timesteps[i];
    const eps = await denoiser.predict(x, shape, t, { last: i === timesteps.length - 1 });
    const r = scheduler.step(eps, t, x, { numInferenceSteps: o.steps, eta, varianceNoise: varianceRng?.normal(x.length) });
    x = r.prevSample;
    if (o.onStep) await o.onStep({ step: i + 1, total: timesteps.length, timestep: t, x0: { samples: r.predOriginalSample, shape } });
  }
  return { samples: x, shape };
}
