// SlerpNoise: z̃ = slerp(α, z, ε) over the whole tensor with ε = randn(seed, shape) (Philox,
// stream 0) and a linear fallback when |cos| > 0.9995. α = 0 keeps the latent, 1 is pure noise.
import { defineNode, InputError } from './define.ts';
import { checkLatent, randn, slerp } from '../server/diffusion/index.ts';

const NODE = 'SlerpNoise';

export default defineNode({
  type: NODE,
  displayName: 'Slerp Noise',
  category: 'latent',
  description:
    'Spherical interpolation between a latent (e.g. from DDIM Invert) and seeded Gaussian noise over the whole tensor: α = 0 keeps the latent, 1 gives pure noise. ' +
    'Larger α allows larger edits at the cost of fidelity (CoSINE).',
  inputs: {
    latent: { type: 'LATENT' },
    seed: { type: 'INT', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, controlAfterGenerate: true },
    alpha: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01 },
  },
  outputs: [{ name: 'LATENT', type: 'LATENT' }],

  async run({ latent, seed, alpha }) {
    try {
      checkLatent(latent);
    } catch (e) {
      throw new InputError('latent', (e as Error).message);
    }
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError('seed', `must be a non-negative integer, got ${seed}`);
    if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) throw new InputError('alpha', `must be a number from 0 to 1, got ${alpha}`);
    const noise = randn(seed, latent.shape);
    return { outputs: [{ samples: slerp(alpha, latent.samples, noise), shape: [...latent.shape] as [number, number, number, number] }] };
  },
});
