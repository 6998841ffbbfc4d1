// One decoded image: float32 HWC, RGB, values in [0,1]. An ImageBatch frame has the same layout.
export interface RgbImage {
  width: number;
  height: number;
  /** height × width × 3, row-major, RGB in [0,1]. */
  data: Float32Array;
}

/** Largest image we decode or build (8192²): a float32 RGB copy of it is 768 MiB. */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

export function checkImageSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`invalid image size ${width}×${height}`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new Error(`image is ${width}×${height}, larger than the ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixel limit`);
  }
}
