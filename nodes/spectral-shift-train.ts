// SpectralShiftTrain: personalise a model by training only its spectral shifts δ (SVDiff).
// DreamBooth recipe (instance images + identifier prompt, prior preservation on class images
// the base model generates, cached), single-image mode for CoSINE editing (λ = 0, no
// identifier), and Cut-Mix-Unmix for 2–3 subjects. Streams step + loss; on interrupt (or a
// NaN loss) returns the shifts so far, marked partial; checkpoints under data/checkpoints/
// so re-queueing the same inputs resumes where the run stopped.
import { defineNode, type InputSpec, renameInput } from './define.ts';
import { stepReporter } from './lib/training-progress.ts';
import { nativeResolution, PRIOR_TARGETS, runTraining, TRAINED_PARTS, type SubjectRequest } from '../server/diffusion/training/index.ts';

const NODE = 'SpectralShiftTrain';

const extraSubject = (n: number) =>
  ({
    [`images_${n}`]: { type: 'IMAGE', optional: true, tooltip: `Subject ${n} for Cut-Mix-Unmix (multi-subject training).` },
    [`instance_prompt_${n}`]: { type: 'STRING', default: '', optional: true, tooltip: `Subject ${n}'s prompt with its identifier, e.g. "a xvg moon".` },
    [`identifier_${n}`]: { type: 'STRING', default: '', optional: true, tooltip: `Subject ${n}'s identifier (a rare word, different from the others).` },
    [`class_prompt_${n}`]: { type: 'STRING', default: '', optional: true, tooltip: `Subject ${n}'s class prompt, e.g. "a moon".` },
  }) as const satisfies Record<string, InputSpec>;

export default defineNode({
  type: NODE,
  displayName: 'Spectral Shift Train',
  category: 'training',
  description:
    'Trains spectral shifts (one value per singular value of every decomposed weight) on your images: ε-prediction loss on the instance images with a prompt holding a rare identifier ("a sks dog"), ' +
    'plus λ × the same loss on class images the base model generates for the class prompt ("a dog"; generated once and cached). λ = 0 and a plain description train on a single image for CoSINE editing. ' +
    'Connect images_2 (and images_3) to train several subjects with Cut-Mix-Unmix. Interrupt returns the shifts so far (marked partial); re-queueing the same inputs resumes from the last checkpoint.',
  inputs: {
    model: { type: 'MODEL' },
    svd: { type: 'SVD', tooltip: 'From SVD Decompose; its layers are the ones trained (UNet, or UNet + text encoder).' },
    images: { type: 'IMAGE', tooltip: 'Pictures of the subject (resized and centre-cropped to the training resolution).' },
    instance_prompt: { type: 'STRING', default: 'a sks heart', multiline: true, tooltip: 'Prompt for your images, holding the identifier; in single-image mode a description of the image.' },
    identifier: { type: 'STRING', default: 'sks', tooltip: 'The rare word that names your subject; empty in single-image mode.' },
    class_prompt: { type: 'STRING', default: 'a heart', multiline: true, tooltip: 'The class without the identifier, for prior preservation.' },
    prior_weight: { type: 'FLOAT', default: 1, min: 0, max: 100, step: 0.1, tooltip: 'λ: weight of the prior-preservation loss (0 = none, e.g. single-image editing).' },
    num_class_images: { type: 'INT', default: 16, min: 1, max: 10000, tooltip: 'Class images generated (seeded, cached) per subject when λ > 0.' },
    steps: { type: 'INT', default: 400, min: 1, max: 1000000 },
    batch_size: { type: 'INT', default: 1, min: 1, max: 64 },
    learning_rate: { type: 'FLOAT', default: 0.001, min: 0, max: 1, step: 0.0001, tooltip: 'AdamW learning rate of the matrix shifts.' },
    learning_rate_1d: { type: 'FLOAT', default: 0.000001, min: 0, max: 1, step: 0.000001, tooltip: 'AdamW learning rate of the 1-D (norm scale) shifts.' },
    weight_decay: { type: 'FLOAT', default: 0.01, min: 0, max: 1, step: 0.001 },
    max_grad_norm: { type: 'FLOAT', default: 1, min: 0, max: 1000, step: 0.1, tooltip: 'Clip the global gradient norm to this (0 = no clipping).' },
    seed: { type: 'INT', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, controlAfterGenerate: true },
    resolution: { type: 'INT', default: 0, min: 0, max: 4096, step: 1, tooltip: "Training size in pixels; 0 = the model's native size (embedded model: 32, SD 1.x: 512)." },
    random_crop: { type: 'BOOLEAN', default: false, tooltip: 'Augment with random crops (80–100 % of the side, scaled back).' },
    random_flip: { type: 'BOOLEAN', default: true, tooltip: 'Augment with horizontal flips.' },
    train_parts: { type: 'COMBO', options: TRAINED_PARTS, default: 'unet', tooltip: 'unet+text_encoder trains the text encoder\'s shifts too (the SVD must include it).' },
    checkpoint_every: { type: 'INT', default: 100, min: 0, max: 1000000, tooltip: 'Save a checkpoint every N steps under data/checkpoints/ (0 = never).' },
    resume_shifts: { type: 'SHIFTS', optional: true, tooltip: 'Start from these shifts instead of zero.' },
    mix_probability: { type: 'FLOAT', default: 0.6, min: 0, max: 1, step: 0.05, tooltip: 'Cut-Mix: chance that a sample shows all subjects side by side.' },
    unmix_weight: { type: 'FLOAT', default: 0.1, min: 0, max: 100, step: 0.01, tooltip: "Unmix: penalty on each identifier's cross-attention outside its subject's region (0 = off)." },
    ...extraSubject(2),
    ...extraSubject(3),
    // Optional and last, so workflows saved before it existed keep their widget positions.
    learning_rate_text_encoder: { type: 'FLOAT', default: 0.001, min: 0, max: 1, step: 0.0001, optional: true, tooltip: "AdamW learning rate of the text encoder's matrix shifts (with train_parts unet+text_encoder). Lower than learning_rate limits language drift." },
    preserve_prompts: { type: 'STRING', default: '', multiline: true, optional: true, tooltip: 'One prompt per line from what the base model already draws well (e.g. "a red circle on a gray background"): the base model draws num_class_images images spread over them (at least one each, cached) and half the plain prior items use them, half of those with the empty prompt, so the shifts keep other words (and the unconditional prediction guidance relies on) as they were. Needs prior_weight > 0.' },
    prior_target: { type: 'COMBO', options: PRIOR_TARGETS, default: 'noise', optional: true, tooltip: "What the prior items are trained towards. noise: the noise added to each class image (DreamBooth, the SVDiff reference). base_prediction: the base model's own prediction for the same noisy image and prompt, so the loss measures how far the shifts move the model on those prompts (0 before training): much less language drift for a little fidelity. Costs one base-model forward of the prior items per step." },
  },
  outputs: [{ name: 'SHIFTS', type: 'SHIFTS' }],

  async run(i, ctx) {
    const res = i.resolution > 0 ? i.resolution : nativeResolution(i.model) ?? i.images?.shape?.[2] ?? 0;
    const extra = (n: 2 | 3): SubjectRequest => {
      const r = i as unknown as Record<string, unknown>;
      return {
        images: r[`images_${n}`] as SubjectRequest['images'],
        prompt: String(r[`instance_prompt_${n}`] ?? ''),
        identifier: String(r[`identifier_${n}`] ?? ''),
        classPrompt: String(r[`class_prompt_${n}`] ?? ''),
        suffix: `_${n}`,
      };
    };
    const subjects: SubjectRequest[] = [
      { images: i.images, prompt: i.instance_prompt, identifier: i.identifier, classPrompt: i.class_prompt, suffix: '' },
      extra(2),
      extra(3),
    ];
    if (subjects[2].images && !subjects[1].images) subjects.splice(1, 1);
    try {
      const out = await runTraining({
        model: i.model,
        svd: i.svd,
        resume: i.resume_shifts,
        storage: ctx.storage,
        signal: ctx.signal,
        autosavePrefix: NODE,
        log: (m) => ctx.log(m),
        onClassImages: (done, total) => ctx.progress(done, total),
        onStep: stepReporter(ctx, (r) => `step ${r.step}/${r.steps} loss ${r.loss.toFixed(5)} (instance ${r.terms.instance.toFixed(5)}, prior ${r.terms.prior.toFixed(5)}${r.terms.unmix ? `, unmix ${r.terms.unmix.toFixed(5)}` : ''}) ${r.ms.toFixed(0)} ms/step`),
        request: {
          subjects,
          priorWeight: i.prior_weight,
          numClassImages: i.num_class_images,
          preservePrompts: i.preserve_prompts.split('\n'),
          priorTarget: i.prior_target,
          steps: i.steps,
          batchSize: i.batch_size,
          lr: i.learning_rate,
          lr1d: i.learning_rate_1d,
          lrTextEncoder: i.learning_rate_text_encoder,
          weightDecay: i.weight_decay,
          maxGradNorm: i.max_grad_norm,
          seed: i.seed,
          resolution: res,
          randomCrop: i.random_crop,
          randomFlip: i.random_flip,
          parts: i.train_parts,
          mixProbability: i.mix_probability,
          unmixWeight: i.unmix_weight,
          checkpointEvery: i.checkpoint_every,
        },
      });
      const r = out.result;
      ctx.log(
        `${r.partial ? 'partial' : 'done'}: ${r.stepsDone}/${out.settings.steps} steps, ${r.trainedParameters} parameters trained` +
          (r.losses.length ? `, loss ${r.losses[0].toFixed(5)} → ${r.losses.at(-1)!.toFixed(5)}` : '') +
          (r.resumedFrom ? ` (resumed from step ${r.resumedFrom})` : ''),
      );
      return { outputs: [out.shifts] };
    } catch (e) {
      throw renameInput(e, { image: 'images' });
    }
  },
});
