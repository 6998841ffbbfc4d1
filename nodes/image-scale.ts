// ImageScale: resize every frame to width×height; crop "center" keeps the aspect ratio by
// cropping the middle first instead of stretching.
import { defineNode, InputError } from './define.ts';
import { checkBatch, RESIZE_METHODS, resizeBatch, resizeCoverBatch, type ResizeMethod } from '../server/image/index.ts';

const NODE = 'ImageScale';
const MAX = 8192;
const CROPS = ['disabled', 'center'] as const;

export default defineNode({
  type: NODE,
  displayName: 'Scale Image',
  category: 'image/transform',
  description:
    'Resizes images to width×height. nearest: sharp pixels; bilinear: smooth (no antialiasing, best for enlarging); area: box-filter average (best for shrinking). ' +
    'crop center cuts the middle to the new aspect ratio first; disabled stretches.',
  inputs: {
    image: { type: 'IMAGE' },
    upscale_method: { type: 'COMBO', options: RESIZE_METHODS, default: 'area' },
    width: { type: 'INT', default: 512, min: 1, max: MAX, step: 1 },
    height: { type: 'INT', default: 512, min: 1, max: MAX, step: 1 },
    crop: { type: 'COMBO', options: CROPS, default: 'disabled' },
  },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  async run({ image, upscale_method, width, height, crop }) {
    try {
      checkBatch(image);
    } catch (e) {
      throw new InputError('image', (e as Error).message);
    }
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX) throw new InputError(name, `must be an integer from 1 to ${MAX}, got ${v}`);
    }
    if (!(RESIZE_METHODS as readonly string[]).includes(upscale_method)) {
      throw new InputError('upscale_method', `unknown method "${upscale_method}" (expected ${RESIZE_METHODS.join(', ')})`);
    }
    if (!(CROPS as readonly string[]).includes(crop)) throw new InputError('crop', `unknown option "${crop}" (expected ${CROPS.join(' or ')})`);
    const method = upscale_method as ResizeMethod;
    const out = crop === 'center' ? resizeCoverBatch(image, width, height, method) : resizeBatch(image, width, height, method);
    return { outputs: [out] };
  },
});
