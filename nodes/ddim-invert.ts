// DDIMInvert: image → VAE latent z₀ → DDIM inversion to z_T with the target prompt (guidance
// 1 by default, as CoSINE editing does). Follows diffusers' current DDIMInverseScheduler:
// ascending timesteps, step t moves the latent from level t − T//n to t using the UNet at t.
import { defineNode, renameInput } from './define.ts';
import { overridesFor } from './lib/shift-overrides.ts';
import { encodeImage, invertLatents, MAX_STEPS, previewAt } from '../server/diffusion/index.ts';

const NODE = 'DDIMInvert';

export default defineNode({
  type: NODE,
  displayName: 'DDIM Invert',
  category: 'sampling',
  description:
    'Finds the noise latent z_T that DDIM (η = 0) turns back into the image: VAE-encode, then run the DDIM steps backwards with the prompt. ' +
    'Feed the result to Sample (same steps, η = 0) to reconstruct or, with an edited prompt, to edit; Slerp Noise mixes in fresh noise for larger edits.',
  inputs: {
    model: { type: 'MODEL' },
    shifts: { type: 'SHIFTS', optional: true, tooltip: 'Spectral shifts to apply (from Spectral Shift Train, Load Shifts or Combine Shifts).' },
    image: { type: 'IMAGE', tooltip: 'Its sides must be multiples of the model\'s size step.' },
    prompt: { type: 'STRING', default: 'a red circle', multiline: true, tooltip: 'Describes the image (the target prompt).' },
    negative_prompt: { type: 'STRING', default: '', multiline: true, tooltip: 'Used only when guidance_scale ≠ 1.' },
    steps: { type: 'INT', default: 50, min: 1, max: MAX_STEPS, step: 1 },
    guidance_scale: { type: 'FLOAT', default: 1, min: 0, max: 30, step: 0.1, tooltip: '1 (no classifier-free guidance) inverts most faithfully.' },
    shift_scale: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.05, optional: true, tooltip: 'Scale s of the shifts: W_δ = U·diag(ReLU(σ + s·δ))·Vᵀ.' },
    adapters: { type: 'ADAPTER', optional: true, tooltip: 'Adapters to apply (Erase Concept, Load Adapter, Combine Adapters), on top of the shifts.' },
    facilitated_transport: { type: 'BOOLEAN', default: true, optional: true, tooltip: 'Scale each adapter by how much the prompt matches its concepts (SPM): unrelated prompts see the original model. Off: every adapter at its strength.' },
  },
  outputs: [{ name: 'LATENT', type: 'LATENT' }],

  async run(i, ctx) {
    try {
      const overrides = await overridesFor(i.model, { shifts: i.shifts, shiftScale: i.shift_scale, adapters: i.adapters, transport: i.facilitated_transport, prompt: i.prompt }, ctx);
      const z0 = await encodeImage(i.model, i.image);
      const latent = await invertLatents(i.model, {
        prompt: i.prompt,
        negativePrompt: i.negative_prompt,
        steps: i.steps,
        guidance: i.guidance_scale,
        latent: z0,
        signal: ctx.signal,
        overrides,
        onStep: async ({ step, total, x0 }) => {
          const preview = ctx.previews ? await previewAt(i.model, step, total, x0) : undefined;
          ctx.progress(step, total, preview ? { preview } : undefined);
        },
      });
      return { outputs: [latent] };
    } catch (e) {
      throw renameInput(e, { guidance: 'guidance_scale', latent: 'image' });
    }
  },
});
