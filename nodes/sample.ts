// Sample: DDIM text-to-image with classifier-free guidance and η (diffusers' DDIMScheduler
// semantics). Starts from LATENT when given (DDIM Invert, Slerp Noise, Random Noise), else
// from seeded noise: randn(seed, [batch, C, h, w]) drawn over the whole tensor with the
// Philox4x32-10 generator of server/diffusion/rng.ts (stream 0; η > 0 uses stream 1), so a
// seed gives the same latent bytes on every run and machine.
import { defineNode, renameInput } from './define.ts';
import { overridesFor } from './lib/shift-overrides.ts';
import { decodeLatent, MAX_STEPS, previewAt, sampleLatents } from '../server/diffusion/index.ts';

const NODE = 'Sample';
const RENAME = { guidance: 'guidance_scale', batch: 'batch_size' };

export default defineNode({
  type: NODE,
  displayName: 'Sample',
  category: 'sampling',
  description:
    'Generates images with DDIM: prompt, negative prompt, classifier-free guidance and η (0 = deterministic). ' +
    'Starts from the optional latent (e.g. from DDIM Invert or Slerp Noise); otherwise from seeded Gaussian noise ' +
    '(Philox4x32-10 over the whole batch tensor: the same seed gives the same image on every machine). Shows a live preview: the decoder\'s image every few steps, or, where decoding is costly (SD at 512²), a fitted latent→RGB estimate every step.',
  inputs: {
    model: { type: 'MODEL' },
    shifts: { type: 'SHIFTS', optional: true, tooltip: 'Spectral shifts to apply (from Spectral Shift Train, Load Shifts or Combine Shifts).' },
    latent: { type: 'LATENT', optional: true, tooltip: 'Start latent x_T; when connected, width/height/batch_size are taken from it.' },
    prompt: { type: 'STRING', default: 'a red circle', multiline: true },
    negative_prompt: { type: 'STRING', default: '', multiline: true },
    steps: { type: 'INT', default: 25, min: 1, max: MAX_STEPS, step: 1 },
    guidance_scale: { type: 'FLOAT', default: 7.5, min: 0, max: 30, step: 0.1, tooltip: 'Classifier-free guidance; 1 runs the prompt only (half the work).' },
    eta: { type: 'FLOAT', default: 0, min: 0, max: 1, step: 0.01, tooltip: 'DDIM η: 0 deterministic, 1 DDPM-like.' },
    seed: { type: 'INT', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, controlAfterGenerate: true },
    width: { type: 'INT', default: 32, min: 1, max: 4096, step: 1, tooltip: 'Pixels; a multiple of the model\'s size step (embedded model: 2, SD: 64).' },
    height: { type: 'INT', default: 32, min: 1, max: 4096, step: 1 },
    batch_size: { type: 'INT', default: 1, min: 1, max: 64 },
    shift_scale: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.05, optional: true, tooltip: 'Scale s of the shifts: W_δ = U·diag(ReLU(σ + s·δ))·Vᵀ.' },
    adapters: { type: 'ADAPTER', optional: true, tooltip: 'Adapters to apply (Erase Concept, Load Adapter, Combine Adapters), on top of the shifts.' },
    facilitated_transport: { type: 'BOOLEAN', default: true, optional: true, tooltip: 'Scale each adapter by how much the prompt matches its concepts (SPM): unrelated prompts see the original model. Off: every adapter at its strength.' },
  },
  outputs: [
    { name: 'IMAGE', type: 'IMAGE' },
    { name: 'LATENT', type: 'LATENT' },
  ],

  async run(i, ctx) {
    try {
      const overrides = await overridesFor(i.model, { shifts: i.shifts, shiftScale: i.shift_scale, adapters: i.adapters, transport: i.facilitated_transport, prompt: i.prompt }, ctx);
      const latent = await sampleLatents(i.model, {
        prompt: i.prompt,
        negativePrompt: i.negative_prompt,
        steps: i.steps,
        guidance: i.guidance_scale,
        eta: i.eta,
        seed: i.seed,
        latent: i.latent,
        width: i.width,
        height: i.height,
        batch: i.batch_size,
        signal: ctx.signal,
        overrides,
        onStep: async ({ step, total, x0 }) => {
          const preview = ctx.previews ? await previewAt(i.model, step, total, x0) : undefined;
          ctx.progress(step, total, preview ? { preview } : undefined);
        },
      });
      const images = await decodeLatent(i.model, latent);
      return { outputs: [images, latent] };
    } catch (e) {
      throw renameInput(e, RENAME);
    }
  },
});
