// Rectangular crops of RGB images and batches; out-of-bounds rectangles are errors, not clamps.
import type { ImageBatch } from '../core/index.ts';
import { batchFrames, checkBatch, stackImages } from './batch.ts';
import type { RgbImage } from './types.ts';

/** Throws unless x, y, width, height is a non-empty integer rectangle inside W×H. */
export function checkCropRect(W: number, H: number, x: number, y: number, width: number, height: number): void {
  for (const [k, v] of Object.entries({ x, y, width, height })) {
    if (!Number.isInteger(v)) throw new Error(`crop ${k} must be an integer, got ${v}`);
  }
  if (width < 1 || height < 1) throw new Error(`crop size ${width}×${height} is empty`);
  if (x < 0 || y < 0 || x + width > W || y + height > H) {
    throw new Error(`crop ${width}×${height} at (${x}, ${y}) does not fit inside the ${W}×${H} image`);
  }
}

export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  checkCropRect(image.width, image.height, x, y, width, height);
  const out = new Float32Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const s = ((y + r) * image.width + x) * 3;
    out.set(image.data.subarray(s, s + width * 3), r * width * 3);
  }
  return { width, height, data: out };
}

export function cropBatch(batch: ImageBatch, x: number, y: number, width: number, height: number): ImageBatch {
  checkBatch(batch);
  return stackImages(batchFrames(batch).map((f) => cropImage(f, x, y, width, height)));
}
