// SaveImage: PNGs into output/ named `<prefix>_00001_.png`, carrying the prompt and the
// workflow in tEXt chunks so dropping a saved image on the canvas restores its graph.
import { defineNode, InputError } from './define.ts';
import { checkBatch, parseFilenamePrefix, pngMetadata, saveImages } from '../server/image/index.ts';

const NODE = 'SaveImage';

export default defineNode({
  type: NODE,
  displayName: 'Save Image',
  category: 'image',
  description: 'Saves images as PNG files in the output folder, with the workflow embedded (drop one on the canvas to load its graph).',
  inputs: {
    images: { type: 'IMAGE', tooltip: 'The images to save.' },
    filename_prefix: {
      type: 'STRING',
      default: 'svdiff',
      tooltip: 'File name prefix; may include sub-folders ("portraits/dog"). Files are numbered <prefix>_00001_.png and up.',
    },
  },
  outputs: [],
  outputNode: true,

  validate({ filename_prefix }): Record<string, string> {
    if (typeof filename_prefix !== 'string') return {};
    try {
      parseFilenamePrefix(filename_prefix);
      return {};
    } catch (e) {
      return { filename_prefix: `is not usable: ${(e as Error).message}` };
    }
  },

  async run({ images, filename_prefix }, ctx) {
    try {
      checkBatch(images);
    } catch (e) {
      throw new InputError('images', (e as Error).message);
    }
    try {
      parseFilenamePrefix(filename_prefix);
    } catch (e) {
      throw new InputError('filename_prefix', (e as Error).message);
    }
    let refs;
    try {
      refs = await saveImages({
        storage: ctx.storage,
        kind: 'output',
        prefix: filename_prefix,
        batch: images,
        text: pngMetadata(ctx.prompt, ctx.extraData),
        signal: ctx.signal,
      });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      throw new InputError('filename_prefix', `cannot save "${filename_prefix}": ${(e as Error).message}`);
    }
    return { outputs: [], ui: { images: refs } };
  },
});
