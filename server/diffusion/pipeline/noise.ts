// Seeded starting noise: randn(seed, [batch, C, h, w]) over the whole tensor (Philox4x32-10,
// stream 0; rng.ts documents the generator). Same seed → same bytes on every machine.
import { randn, type Seed } from '../rng.ts';
import type { LoadedModel } from '../model/index.ts';
import type { Latent } from './latent.ts';
import { latentShapeFor } from './size.ts';

export function randomLatent(model: LoadedModel, o: { width: number; height: number; batch: number; seed: Seed }): Latent {
  const shape = latentShapeFor(model, o.width, o.height, o.batch);
  const samples = randn(o.seed, shape);
  const sigma = model.scheduler().initNoiseSigma;
  if (sigma !== 1) for (let i = 0; i < samples.length; i++) samples[i] *= sigma;
  return { samples, shape };
}
