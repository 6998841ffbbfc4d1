// RandomNoise: a seeded starting latent for Sample, randn(seed, [batch, C, h, w]) with the
// model's latent channels and pixel→latent factor (Philox4x32-10, stream 0: what Sample draws
// itself for the same seed and size).
import { defineNode, InputError } from './define.ts';
import { randomLatent } from '../server/diffusion/index.ts';

const NODE = 'RandomNoise';

export default defineNode({
  type: NODE,
  displayName: 'Random Noise',
  category: 'latent',
  description: 'Seeded Gaussian noise shaped like the model\'s latents for a width × height image; the same seed gives the same bytes on every machine.',
  inputs: {
    model: { type: 'MODEL' },
    width: { type: 'INT', default: 32, min: 1, max: 4096, step: 1 },
    height: { type: 'INT', default: 32, min: 1, max: 4096, step: 1 },
    batch_size: { type: 'INT', default: 1, min: 1, max: 64 },
    seed: { type: 'INT', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, controlAfterGenerate: true },
  },
  outputs: [{ name: 'LATENT', type: 'LATENT' }],

  async run({ model, width, height, batch_size, seed }) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError('seed', `must be a non-negative integer, got ${seed}`);
    try {
      return { outputs: [randomLatent(model, { width, height, batch: batch_size, seed })] };
    } catch (e) {
      throw e;
    }
  },
});
