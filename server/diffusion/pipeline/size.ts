// Image sizes a model can take: positive multiples of its size multiple (SD: 64, from the
// VAE's ×8 and the UNet's three down-samplings; the embedded model: its 2×2 patch).
import type { LoadedModel } from '../model/index.ts';
import { InputError } from '../../core/index.ts';

export const MAX_SIDE = 4096;

export function checkSide(model: LoadedModel, input: string, v: number, step = model.sizeMultiple): void {
  const m = step;
  if (!Number.isInteger(v) || v < m || v > MAX_SIDE || v % m !== 0) {
    throw new InputError(input, `${model.name} takes sizes that are multiples of ${m} from ${m} to ${MAX_SIDE}, got ${v}`);
  }
}

/** Latent shape [batch, C, h, w] for an image of width × height. */
export function latentShapeFor(model: LoadedModel, width: number, height: number, batch: number): [number, number, number, number] {
  checkSide(model, 'width', width);
  checkSide(model, 'height', height);
  if (!Number.isInteger(batch) || batch < 1 || batch > 64) throw new InputError('batch_size', `must be an integer from 1 to 64, got ${batch}`);
  return [batch, model.latentChannels, height / model.downscale, width / model.downscale];
}
