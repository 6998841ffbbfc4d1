// ImageGrid: a batch tiled into one image, row by row (e.g. an interpolation sweep).
import { defineNode, InputError } from './define.ts';
import { checkBatch, gridImage } from '../server/image/index.ts';

const NODE = 'ImageGrid';

export default defineNode({
  type: NODE,
  displayName: 'Image Grid',
  category: 'image',
  description: 'Tiles a batch of images into one image with the given number of columns, filling rows left to right, top to bottom.',
  inputs: {
    images: { type: 'IMAGE' },
    columns: { type: 'INT', default: 4, min: 1, max: 64, step: 1, tooltip: 'Images per row (fewer if the batch is smaller).' },
    padding: { type: 'INT', default: 0, min: 0, max: 256, step: 1, optional: true, tooltip: 'Pixels of white between and around the tiles.' },
  },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  async run({ images, columns, padding }) {
    try {
      checkBatch(images);
    } catch (e) {
      throw new InputError('images', (e as Error).message);
    }
    if (!Number.isInteger(columns) || columns < 1 || columns > 64) throw new InputError('columns', `must be an integer from 1 to 64, got ${columns}`);
    if (!Number.isInteger(padding) || padding < 0 || padding > 256) throw new InputError('padding', `must be an integer from 0 to 256, got ${padding}`);
    try {
      return { outputs: [gridImage(images, columns, { padding, background: 1 })] };
    } catch (e) {
      throw new InputError('images', (e as Error).message);
    }
  },
});
