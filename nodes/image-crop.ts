// ImageCrop: the width×height rectangle at (x, y) of every frame; it must fit inside.
import { defineNode, InputError } from './define.ts';
import { checkBatch, cropBatch } from '../server/image/index.ts';

const NODE = 'ImageCrop';
const MAX = 8192;

export default defineNode({
  type: NODE,
  displayName: 'Crop Image',
  category: 'image/transform',
  description: 'Cuts the width×height rectangle whose top-left corner is at (x, y) out of every image. The rectangle must lie inside the image.',
  inputs: {
    image: { type: 'IMAGE' },
    width: { type: 'INT', default: 512, min: 1, max: MAX, step: 1 },
    height: { type: 'INT', default: 512, min: 1, max: MAX, step: 1 },
    x: { type: 'INT', default: 0, min: 0, max: MAX, step: 1 },
    y: { type: 'INT', default: 0, min: 0, max: MAX, step: 1 },
  },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  async run({ image, width, height, x, y }) {
    try {
      checkBatch(image);
    } catch (e) {
      throw new InputError('image', (e as Error).message);
    }
    const [, H, W] = image.shape;
    for (const [name, v, min] of [['width', width, 1], ['height', height, 1], ['x', x, 0], ['y', y, 0]] as const) {
      if (!Number.isInteger(v) || v < min || v > MAX) throw new InputError(name, `must be an integer from ${min} to ${MAX}, got ${v}`);
    }
    const where = `the ${width}×${height} crop at (${x}, ${y}) does not fit inside the ${W}×${H} image`;
    if (x >= W) throw new InputError('x', `${where} (x must be below ${W})`);
    if (y >= H) throw new InputError('y', `${where} (y must be below ${H})`);
    if (x + width > W) throw new InputError('width', `${where} (at most ${W - x} wide from x = ${x})`);
    if (y + height > H) throw new InputError('height', `${where} (at most ${H - y} high from y = ${y})`);
    return { outputs: [cropBatch(image, x, y, width, height)] };
  },
});
