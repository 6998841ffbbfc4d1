// ImageBatch: joins several IMAGE batches into one (e.g. one Sample per α of an interpolation
// sweep, then Image Grid). All images must share one size.
import { defineNode, type ImageBatch, InputError } from './define.ts';
import { batchFrames, checkBatch, stackImages } from '../server/image/index.ts';

const NODE = 'ImageBatch';
const SLOTS = ['image_1', 'image_2', 'image_3', 'image_4', 'image_5', 'image_6', 'image_7', 'image_8'] as const;

export default defineNode({
  type: NODE,
  displayName: 'Image Batch',
  category: 'image',
  description: 'Joins up to eight IMAGE batches, in input order, into one batch. The images must all have the same size.',
  inputs: {
    image_1: { type: 'IMAGE' },
    image_2: { type: 'IMAGE', optional: true },
    image_3: { type: 'IMAGE', optional: true },
    image_4: { type: 'IMAGE', optional: true },
    image_5: { type: 'IMAGE', optional: true },
    image_6: { type: 'IMAGE', optional: true },
    image_7: { type: 'IMAGE', optional: true },
    image_8: { type: 'IMAGE', optional: true },
  },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  async run(inputs) {
    const frames = [];
    let first: { input: string; w: number; h: number } | undefined;
    for (const name of SLOTS) {
      const batch = inputs[name] as ImageBatch | undefined;
      if (!batch) continue;
      try {
        checkBatch(batch);
      } catch (e) {
        throw new InputError(name, (e as Error).message);
      }
      const [, h, w] = batch.shape;
      if (!first) first = { input: name, w, h };
      else if (w !== first.w || h !== first.h) throw new InputError(name, `is ${w}×${h}, ${first.input} is ${first.w}×${first.h}`);
      frames.push(...batchFrames(batch));
    }
    return { outputs: [stackImages(frames)] };
  },
});
