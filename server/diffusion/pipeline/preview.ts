// Preview PNGs while a loop runs: the first batch item's x̂₀ through the VAE decoder, every
// `previewEvery(steps)` steps and at the last one.
import { encodePng } from '../../image/index.ts';
import type { LoadedModel } from '../model/index.ts';
import type { Latent } from './latent.ts';
import type { PartOverride } from './overrides.ts';
import { decodeLatent } from './vae.ts';

/** At most ~8 previews per run. */
export function previewEvery(steps: number): number {
  return Math.max(1, Math.floor(steps / 8));
}

export function wantsPreview(step: number, total: number): boolean {
  return step === total || step % previewEvery(total) === 0;
}

export async function previewPng(model: LoadedModel, x0: Latent, overrides?: readonly PartOverride[]): Promise<Uint8Array> {
  const img = await decodeLatent(model, x0, { overrides, items: 1 });
  const [, h, w] = img.shape;
  return encodePng(img.data, w, h);
}
