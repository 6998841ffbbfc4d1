// VAEEncode: IMAGE → LATENT through the model's VAE encoder (mean of the latent distribution,
// times the scaling factor).
import { defineNode, InputError } from './define.ts';
import { encodeImage } from '../server/diffusion/index.ts';
import { checkBatch } from '../server/image/index.ts';

const NODE = 'VAEEncode';

export default defineNode({
  type: NODE,
  displayName: 'VAE Encode',
  category: 'latent',
  description: 'Encodes images into the model\'s latent space (sides must be multiples of its pixel→latent factor; Sample and DDIM Invert need multiples of its size step).',
  inputs: { model: { type: 'MODEL' }, image: { type: 'IMAGE' } },
  outputs: [{ name: 'LATENT', type: 'LATENT' }],

  async run({ model, image }) {
    try {
      checkBatch(image);
    } catch (e) {
      throw new InputError('image', (e as Error).message);
    }
    try {
      return { outputs: [await encodeImage(model, image, { sizeStep: model.downscale })] };
    } catch (e) {
      throw e;
    }
  },
});
