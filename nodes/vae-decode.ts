// VAEDecode: LATENT → IMAGE through the model's VAE decoder.
import { defineNode, InputError } from './define.ts';
import { checkLatent, decodeLatent } from '../server/diffusion/index.ts';

const NODE = 'VAEDecode';

export default defineNode({
  type: NODE,
  displayName: 'VAE Decode',
  category: 'latent',
  description: 'Decodes latents into images with the model\'s VAE decoder.',
  inputs: { model: { type: 'MODEL' }, latent: { type: 'LATENT' } },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  async run({ model, latent }) {
    try {
      checkLatent(latent);
    } catch (e) {
      throw new InputError('latent', (e as Error).message);
    }
    try {
      return { outputs: [await decodeLatent(model, latent)] };
    } catch (e) {
      throw e;
    }
  },
});
