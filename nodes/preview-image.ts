// PreviewImage: like SaveImage but into temp/ under a random prefix, shown in the UI only.
import { randomBytes } from 'node:crypto';
import { defineNode, InputError } from './define.ts';
import { checkBatch, pngMetadata, saveImages } from '../server/image/index.ts';

const NODE = 'PreviewImage';

export default defineNode({
  type: NODE,
  displayName: 'Preview Image',
  category: 'image',
  description: 'Shows images in the UI without keeping them (they are written to the temp folder).',
  inputs: {
    images: { type: 'IMAGE', tooltip: 'The images to show.' },
  },
  outputs: [],
  outputNode: true,

  async run({ images }, ctx) {
    try {
      checkBatch(images);
    } catch (e) {
      throw new InputError('images', (e as Error).message);
    }
    // A fresh prefix per run: previews of different prompts never overwrite each other.
    const prefix = `svdiff_temp_${randomBytes(4).toString('hex')}`;
    const refs = await saveImages({
      storage: ctx.storage,
      kind: 'temp',
      prefix,
      batch: images,
      text: pngMetadata(ctx.prompt, ctx.extraData),
      signal: ctx.signal,
    });
    return { outputs: [], ui: { images: refs } };
  },
});
