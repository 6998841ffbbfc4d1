// ImageBatch (float32 NHWC, RGB, [0,1]) ↔ single images, and batches → PNG files.
import type { ImageBatch } from '../core/index.ts';
import { encodePng } from './png.ts';
import type { RgbImage } from './types.ts';

/** Throws unless `batch` is a well-formed NHWC RGB batch with at least one frame. */
export function checkBatch(batch: ImageBatch): void {
  const s = batch?.shape;
  if (!s || s.length !== 4 || !(batch.data instanceof Float32Array)) throw new Error('not an IMAGE batch');
  const [n, h, w, c] = s;
  if (c !== 3) throw new Error(`IMAGE batch has ${c} channels, expected 3 (RGB)`);
  if (!(n >= 1 && h >= 1 && w >= 1)) throw new Error(`IMAGE batch has an empty shape [${s.join(', ')}]`);
  if (batch.data.length !== n * h * w * c) throw new Error(`IMAGE batch data has ${batch.data.length} values, shape [${s.join(', ')}] needs ${n * h * w * c}`);
}

export function imageToBatch(image: RgbImage): ImageBatch {
  return { data: image.data, shape: [1, image.height, image.width, 3] };
}

/** Stacks equally sized images into one batch. */
export function stackImages(images: readonly RgbImage[]): ImageBatch {
  if (images.length === 0) throw new Error('cannot make an IMAGE batch of no images');
  const { width, height } = images[0];
  const frame = width * height * 3;
  const data = new Float32Array(frame * images.length);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`image ${i} is ${img.width}×${img.height}, the first is ${width}×${height}`);
    }
    data.set(img.data, i * frame);
  });
  return { data, shape: [images.length, height, width, 3] };
}

/** Frame `i` of a batch as an image; its data is a view into the batch (no copy). */
export function batchFrame(batch: ImageBatch, i: number): RgbImage {
  const [n, height, width] = batch.shape;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`frame ${i} is outside a batch of ${n}`);
  const frame = width * height * 3;
  return { width, height, data: batch.data.subarray(i * frame, (i + 1) * frame) };
}

export function batchFrames(batch: ImageBatch): RgbImage[] {
  return Array.from({ length: batch.shape[0] }, (_, i) => batchFrame(batch, i));
}

/** One 8-bit RGB PNG per frame, each with the same text chunks. */
export function batchToPngs(batch: ImageBatch, text?: Record<string, string>): Uint8Array[] {
  checkBatch(batch);
  return batchFrames(batch).map((f) => encodePng(f.data, f.width, f.height, text));
}
