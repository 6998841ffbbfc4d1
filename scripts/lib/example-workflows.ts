// The example workflows (workflows/*.json), described compactly. scripts/make-workflows.ts
// turns them into litegraph JSON; the workflow tests and scripts/eval-workflows.ts read the
// node keys below (node id = position in the list + 1) to patch settings.
import { preservationPrompts } from '../../research/datasets/index.ts';
import type { NodeDesc, WorkflowDesc } from './workflow-builder.ts';

/** Concept images shipped in workflows/assets/ (copied into the data folder's input/). */
export const ASSETS = {
  heartFolder: 'heart',
  moonFolder: 'moon',
  editImage: 'red-circle-blue.png',
} as const;

/** Shift files the workflows write and read (in the data folder's shifts/). */
export const SHIFT_FILES = {
  heart: 'sks-heart',
  moon: 'sks-moon',
  multi: 'sks-heart-xvg-moon',
} as const;

export const COMBINE_ALPHAS = [0, 0.25, 0.5, 0.75, 1] as const;

const model: NodeDesc = { key: 'model', type: 'LoadModel', title: 'Load Model', widgets: { model_name: 'svdiff-shapes', device: 'default' } };
const svd: NodeDesc = { key: 'svd', type: 'SVDDecompose', widgets: { parts: 'unet', layers: 'all', name_filter: '' }, links: { model: ['model', 0] } };
// Personalisation trains the text encoder's shifts too: on the embedded model the UNet alone
// learnt the heart in 34 % of samples (npm run eval:personalize, seed 0), UNet + text encoder
// in 91 %.
const svdWithText: NodeDesc = { ...svd, widgets: { ...svd.widgets, parts: 'unet+text_encoder' } };
const subjectRecipe = { train_parts: 'unet+text_encoder', learning_rate: 0.01, learning_rate_text_encoder: 0.01, batch_size: 4 };
// Multi-subject training adds preservation prompts (base-world captions in the prior batch):
// with them both subjects came out in 50 % of samples, without in 25 % (p = 0.6, guidance 5).
// The single-subject workflow does without: there they cost context ("on a blue background"
// obeyed in 13 % of samples instead of 100 %) and the combine score's monotonicity in α.
const PRESERVE_PROMPTS = preservationPrompts(16).join('\n');

/** Sample widgets shared by the examples (full settings; tests lower the steps). */
const sampling = { negative_prompt: '', steps: 25, guidance_scale: 7.5, eta: 0, width: 32, height: 32 };

export const PERSONALIZE: WorkflowDesc = {
  nodes: [
    model,
    svdWithText,
    { key: 'images', type: 'LoadImages', title: 'Load Images (heart concept)', widgets: { folder: ASSETS.heartFolder, resize: 'refuse' }, column: 0 },
    {
      key: 'train',
      type: 'SpectralShiftTrain',
      widgets: { instance_prompt: 'a sks heart', identifier: 'sks', class_prompt: 'a heart', prior_weight: 1, num_class_images: 16, steps: 400, seed: 0, ...subjectRecipe },
      links: { model: ['model', 0], svd: ['svd', 0], images: ['images', 0] },
    },
    { key: 'save_shifts', type: 'SaveShifts', widgets: { filename_prefix: SHIFT_FILES.heart }, links: { shifts: ['train', 0] } },
    {
      key: 'sample_bg',
      type: 'Sample',
      title: 'Sample: new background',
      widgets: { ...sampling, prompt: 'a sks heart on a blue background', seed: 1, batch_size: 4 },
      links: { model: ['model', 0], shifts: ['train', 0] },
    },
    {
      key: 'sample_pos',
      type: 'Sample',
      title: 'Sample: new size and place',
      widgets: { ...sampling, prompt: 'a small sks heart on the left', seed: 2, batch_size: 4 },
      links: { model: ['model', 0], shifts: ['train', 0] },
    },
    { key: 'save_bg', type: 'SaveImage', widgets: { filename_prefix: 'personalize/background' }, links: { images: ['sample_bg', 0] } },
    { key: 'save_pos', type: 'SaveImage', widgets: { filename_prefix: 'personalize/position' }, links: { images: ['sample_pos', 0] } },
  ],
};

const alphaKey = (a: number) => String(Math.round(a * 100)).padStart(3, '0');

/**
 * One Combine Shifts + Sample per α, same seed and prompt. With `batchNode` (a node joining
 * IMAGE batches, when the registry has one) the samples go into one grid image; otherwise
 * each α is saved on its own, named by α.
 */
export function combineShifts(batchNode?: { type: string; inputs: readonly string[] }): WorkflowDesc {
  const nodes: NodeDesc[] = [
    model,
    { key: 'shifts_heart', type: 'LoadShifts', title: 'Load Shifts (sks heart)', widgets: { shift_file: `${SHIFT_FILES.heart}.safetensors` }, links: { model: ['model', 0] } },
    { key: 'shifts_moon', type: 'LoadShifts', title: 'Load Shifts (sks moon)', widgets: { shift_file: `${SHIFT_FILES.moon}.safetensors` }, links: { model: ['model', 0] } },
  ];
  // One column per α: Combine Shifts on top, its Sample below, its Save Image at the bottom.
  COMBINE_ALPHAS.forEach((a, i) => {
    const k = alphaKey(a);
    nodes.push(
      {
        key: `combine_${k}`,
        column: 2 + i,
        type: 'CombineShifts',
        title: `Combine Shifts (α = ${a})`,
        widgets: { mode: 'interpolate', alpha: a, weight_a: 1, weight_b: 1, scale: 1 },
        links: { shifts_a: ['shifts_heart', 0], shifts_b: ['shifts_moon', 0] },
      },
      {
        key: `sample_${k}`,
        type: 'Sample',
        title: `Sample (α = ${a})`,
        column: 2 + i,
        band: 1,
        widgets: { ...sampling, prompt: 'a sks heart', seed: 7, batch_size: 1 },
        links: { model: ['model', 0], shifts: [`combine_${k}`, 0] },
      },
    );
  });
  if (batchNode && batchNode.inputs.length >= COMBINE_ALPHAS.length) {
    const links: Record<string, [string, number]> = {};
    COMBINE_ALPHAS.forEach((a, i) => (links[batchNode.inputs[i]] = [`sample_${alphaKey(a)}`, 0]));
    nodes.push(
      { key: 'batch', type: batchNode.type, links, band: 1 },
      { key: 'grid', type: 'ImageGrid', widgets: { columns: COMBINE_ALPHAS.length, padding: 2 }, links: { images: ['batch', 0] }, band: 1 },
      { key: 'save_grid', type: 'SaveImage', widgets: { filename_prefix: 'combine/grid' }, links: { images: ['grid', 0] }, band: 1 },
    );
  } else {
    COMBINE_ALPHAS.forEach((a, i) => {
      const k = alphaKey(a);
      nodes.push({ key: `save_${k}`, type: 'SaveImage', title: `Save Image (α = ${a})`, column: 2 + i, band: 2, widgets: { filename_prefix: `combine/alpha_${k}` }, links: { images: [`sample_${k}`, 0] } });
    });
  }
  return { nodes };
}
export { alphaKey };

export const EDIT_SOURCE_PROMPT = 'a large red circle in the center on a blue background';
export const EDIT_TARGET_PROMPT = 'a large yellow circle in the center on a blue background';

export const COSINE_EDIT: WorkflowDesc = {
  nodes: [
    model,
    svd,
    { key: 'image', type: 'LoadImage', widgets: { image: ASSETS.editImage }, column: 0 },
    {
      key: 'train',
      type: 'SpectralShiftTrain',
      title: 'Spectral Shift Train (single image)',
      // Single-image mode: a plain description, no identifier, no prior preservation.
      widgets: { instance_prompt: EDIT_SOURCE_PROMPT, identifier: '', class_prompt: '', prior_weight: 0, steps: 200, seed: 0, random_flip: false },
      links: { model: ['model', 0], svd: ['svd', 0], images: ['image', 0] },
    },
    {
      key: 'invert',
      type: 'DDIMInvert',
      widgets: { prompt: EDIT_SOURCE_PROMPT, negative_prompt: '', steps: 50, guidance_scale: 1, shift_scale: 1 },
      links: { model: ['model', 0], shifts: ['train', 0], image: ['image', 0] },
    },
    { key: 'slerp', type: 'SlerpNoise', widgets: { seed: 3, alpha: 0.2 }, links: { latent: ['invert', 0] } },
    {
      key: 'sample',
      type: 'Sample',
      title: 'Sample (edited prompt)',
      widgets: { ...sampling, steps: 50, prompt: EDIT_TARGET_PROMPT, seed: 0, batch_size: 1 },
      links: { model: ['model', 0], shifts: ['train', 0], latent: ['slerp', 0] },
    },
    { key: 'save', type: 'SaveImage', widgets: { filename_prefix: 'cosine-edit/edited' }, links: { images: ['sample', 0] } },
  ],
};

export const MULTI_PROMPT = 'a sks heart on the left and a xvg moon on the right';

export const MULTI_SUBJECT: WorkflowDesc = {
  nodes: [
    model,
    svdWithText,
    { key: 'hearts', type: 'LoadImages', title: 'Load Images (heart: sks)', widgets: { folder: ASSETS.heartFolder, resize: 'refuse' }, column: 0 },
    { key: 'moons', type: 'LoadImages', title: 'Load Images (moon: xvg)', widgets: { folder: ASSETS.moonFolder, resize: 'refuse' }, column: 0 },
    {
      key: 'train',
      type: 'SpectralShiftTrain',
      title: 'Spectral Shift Train (Cut-Mix-Unmix)',
      widgets: {
        instance_prompt: 'a sks heart', identifier: 'sks', class_prompt: 'a heart',
        instance_prompt_2: 'a xvg moon', identifier_2: 'xvg', class_prompt_2: 'a moon',
        prior_weight: 1, num_class_images: 16, steps: 600, seed: 0, random_flip: false,
        // p = 0.8, above the node's 0.6: with 0.6 both subjects came out in 25–50 % of samples.
        mix_probability: 0.8, unmix_weight: 0.1, preserve_prompts: PRESERVE_PROMPTS, ...subjectRecipe,
      },
      links: { model: ['model', 0], svd: ['svd', 0], images: ['hearts', 0], images_2: ['moons', 0] },
    },
    { key: 'save_shifts', type: 'SaveShifts', widgets: { filename_prefix: SHIFT_FILES.multi }, links: { shifts: ['train', 0] } },
    {
      key: 'sample',
      type: 'Sample',
      title: 'Sample (both subjects)',
      // Guidance 5, as eval:base scores the embedded model: at 7.5 these samples saturate into noise.
      widgets: { ...sampling, guidance_scale: 5, prompt: MULTI_PROMPT, seed: 11, batch_size: 4 },
      links: { model: ['model', 0], shifts: ['train', 0] },
    },
    { key: 'save', type: 'SaveImage', widgets: { filename_prefix: 'multi-subject/both' }, links: { images: ['sample', 0] } },
  ],
};

/** Erasing: the prompts the example samples before and after. */
export const ERASE_PROMPT = 'a large red circle in the center on a gray background';
export const ERASE_OTHER_PROMPT = 'a large blue square in the center on a gray background';
export const ADAPTER_FILE = 'spm/erase-circle';

export const ERASE_CONCEPT: WorkflowDesc = {
  nodes: [
    model,
    { key: 'erase_circle', type: 'SPMTrain', title: 'Erase Concept (circle)', widgets: { concept: 'circle', seed: 0 }, links: { model: ['model', 0] } },
    { key: 'erase_red', type: 'SPMTrain', title: 'Erase Concept (red)', widgets: { concept: 'red', seed: 0 }, links: { model: ['model', 0] } },
    { key: 'save_adapter', type: 'SaveAdapter', widgets: { filename_prefix: ADAPTER_FILE }, links: { adapter: ['erase_circle', 0] } },
    { key: 'both', type: 'CombineAdapters', title: 'Combine Adapters (circle + red)', widgets: { strength_a: 1, strength_b: 1 }, links: { adapter_a: ['erase_circle', 0], adapter_b: ['erase_red', 0] } },
    { key: 'sample_before', type: 'Sample', title: 'Sample: before', band: 1, widgets: { ...sampling, guidance_scale: 5, prompt: ERASE_PROMPT, seed: 1, batch_size: 4 }, links: { model: ['model', 0] } },
    { key: 'sample_after', type: 'Sample', title: 'Sample: circle erased', band: 1, widgets: { ...sampling, guidance_scale: 5, prompt: ERASE_PROMPT, seed: 1, batch_size: 4, facilitated_transport: true }, links: { model: ['model', 0], adapters: ['erase_circle', 0] } },
    { key: 'sample_both', type: 'Sample', title: 'Sample: circle and red erased', band: 1, widgets: { ...sampling, guidance_scale: 5, prompt: ERASE_PROMPT, seed: 1, batch_size: 4, facilitated_transport: true }, links: { model: ['model', 0], adapters: ['both', 0] } },
    { key: 'sample_other', type: 'Sample', title: 'Sample: an unrelated prompt, both adapters', band: 1, widgets: { ...sampling, guidance_scale: 5, prompt: ERASE_OTHER_PROMPT, seed: 1, batch_size: 4, facilitated_transport: true }, links: { model: ['model', 0], adapters: ['both', 0] } },
    { key: 'save_before', type: 'SaveImage', band: 2, widgets: { filename_prefix: 'erase/before' }, links: { images: ['sample_before', 0] } },
    { key: 'save_after', type: 'SaveImage', band: 2, widgets: { filename_prefix: 'erase/circle-erased' }, links: { images: ['sample_after', 0] } },
    { key: 'save_both', type: 'SaveImage', band: 2, widgets: { filename_prefix: 'erase/circle-and-red-erased' }, links: { images: ['sample_both', 0] } },
    { key: 'save_other', type: 'SaveImage', band: 2, widgets: { filename_prefix: 'erase/unrelated' }, links: { images: ['sample_other', 0] } },
  ],
};

/** Node id of `key` in a description (ids are 1-based list positions). */
export function nodeId(desc: WorkflowDesc, key: string): string {
  const i = desc.nodes.findIndex((n) => n.key === key);
  if (i < 0) throw new Error(`no node "${key}" in the workflow`);
  return String(i + 1);
}
