// SPMTrain ("Erase Concept (SPM)"): takes a concept out of a model with one-dimensional adapters
// (SPM) or, as a mode, with spectral shifts: no images, the frozen model's own predictions are
// the targets (erasing with negative guidance η, latent anchoring on sampled anchor concepts, λ).
// Streams step + loss; interrupt returns the adapter so far (marked partial); checkpoints
// resume a re-queued run.
import { defineNode, renameInput } from './define.ts';
import { stepReporter } from './lib/training-progress.ts';
import { ADAPTER_SCOPES, type AdapterScope } from '../server/adapters/index.ts';
import { ERASE_DEFAULTS, ERASE_MODES, runErase, type EraseMode } from '../server/diffusion/erase/index.ts';

const D = ERASE_DEFAULTS;

export default defineNode({
  type: 'SPMTrain',
  displayName: 'Erase Concept (SPM)',
  category: 'training',
  description:
    'Erases a concept (a shape, a colour, a style) from the model with SPM: a one-dimensional adapter beside each adapted UNet layer (layers: by default the transformer blocks and the embedding paths into the resnets; the base weights never change), ' +
    'trained so the target prompts predict what the surrogate prompt does, pushed further away by η, while sampled anchor concepts keep their predictions (latent anchoring, λ). ' +
    'mode spectral trains spectral shifts (δ on singular values) with the same objective instead. Connect the output to Sample\'s adapters input; facilitated transport there leaves unrelated prompts untouched.',
  inputs: {
    model: { type: 'MODEL' },
    concept: { type: 'STRING', default: 'circle', tooltip: 'The concept to erase; several, comma-separated, share one adapter.' },
    target_prompts: { type: 'STRING', default: 'a {}\na large {}\na small {}\na {} in the center on a gray background', multiline: true, tooltip: 'Prompts the erasure is trained on, one per line; {} stands for each concept. Empty: the concept alone.' },
    surrogate_prompt: { type: 'STRING', default: '', tooltip: 'What the target prompts should draw instead (empty: the unconditional prediction).' },
    mode: { type: 'COMBO', options: ERASE_MODES, default: D.mode, tooltip: 'adapter: SPM\'s one-dimensional adapters (rank r). spectral: spectral shifts δ with the same objective (weaker: on the embedded model, with layers all, it erased 67 % of circles and hardly any red).' },
    layers: { type: 'COMBO', options: ADAPTER_SCOPES, default: D.layers, tooltip: 'transformer: the layers of the transformer blocks (attention, feed-forward, projections), as SPM adapts them. conditioning: those plus the layers that carry the (pooled) prompt and time embedding into the resnets (embedding MLPs, time_emb_proj). all: every UNet linear and conv layer.' },
    rank: { type: 'INT', default: D.rank, min: 1, max: 64, tooltip: 'Adapter rank (SPM: 1).' },
    eta: { type: 'FLOAT', default: D.eta, min: 0, max: 10, step: 0.1, tooltip: 'Negative guidance η: the target is ε(surrogate) − η·(ε(target) − ε(surrogate)).' },
    anchor_weight: { type: 'FLOAT', default: D.anchor_weight, min: 0, max: 10000, step: 0.1, tooltip: 'λ of latent anchoring (0 = none).' },
    anchor_count: { type: 'INT', default: D.anchor_count, min: 1, max: 64, tooltip: 'Anchor items per step: the surrogate prompt, and anchor concepts sampled from the model\'s vocabulary without the concept\'s tokens: half neighbours of the target prompt (its concept tokens swapped: "a red circle" → "a red square"), half random token sequences.' },
    anchor_similarity_min: { type: 'FLOAT', default: D.anchor_similarity_min, min: 0, max: 1, step: 0.05, tooltip: 'Sampled anchors are kept when their text similarity to the target prompt is in [min, max].' },
    anchor_similarity_max: { type: 'FLOAT', default: D.anchor_similarity_max, min: 0, max: 1, step: 0.05 },
    anchor_prompts: { type: 'STRING', default: '', multiline: true, tooltip: 'Optional explicit anchors (one per line), drawn alongside the sampled ones.' },
    steps: { type: 'INT', default: D.steps, min: 1, max: 100000 },
    batch_size: { type: 'INT', default: D.batch_size, min: 1, max: 64, tooltip: 'Erasing items per step (anchors come on top).' },
    learning_rate: { type: 'FLOAT', default: D.learning_rate, min: 0.00000001, max: 1, step: 0.0001 },
    seed: { type: 'INT', default: D.seed, min: 0, max: Number.MAX_SAFE_INTEGER, controlAfterGenerate: true },
    checkpoint_every: { type: 'INT', default: D.checkpoint_every, min: 0, max: 100000, tooltip: 'Save a checkpoint every N steps under data/checkpoints/ (0 = never).' },
    svd: { type: 'SVD', optional: true, tooltip: 'mode spectral: the SVD to train δ on (decomposed and cached when absent).' },
  },
  outputs: [{ name: 'ADAPTER', type: 'ADAPTER' }],

  async run(i, ctx) {
    try {
      const out = await runErase({
        model: i.model,
        svd: i.svd,
        storage: ctx.storage,
        signal: ctx.signal,
        log: (m) => ctx.log(m),
        onStep: stepReporter(ctx, (r) => `step ${r.step}/${r.steps} loss ${r.loss.toFixed(5)} (erase ${r.terms.instance.toFixed(5)}, anchors ${r.terms.prior.toFixed(5)}) ${r.ms.toFixed(0)} ms/step`),
        request: {
          concept: i.concept, target_prompts: i.target_prompts, surrogate_prompt: i.surrogate_prompt, anchor_prompts: i.anchor_prompts,
          mode: i.mode as EraseMode, layers: i.layers as AdapterScope, rank: i.rank, eta: i.eta, anchor_weight: i.anchor_weight, anchor_count: i.anchor_count,
          anchor_similarity_min: i.anchor_similarity_min, anchor_similarity_max: i.anchor_similarity_max,
          steps: i.steps, batch_size: i.batch_size, learning_rate: i.learning_rate, seed: i.seed, checkpoint_every: i.checkpoint_every,
        },
      });
      const r = out.result;
      ctx.log(`${r.partial ? 'partial' : 'done'}: ${r.stepsDone}/${out.settings.steps} steps, ${r.trainedParameters} parameters` + (r.losses.length ? `, loss ${r.losses[0].toFixed(5)} → ${r.losses.at(-1)!.toFixed(5)}` : ''));
      return { outputs: [{ uses: [{ adapter: out.adapter, strength: 1, label: `erase "${out.settings.concepts.join(', ')}"` }] }] };
    } catch (e) {
      throw renameInput(e, {});
    }
  },
});
