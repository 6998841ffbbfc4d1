// Uploads must be real images: decode PNG (pngjs) or JPEG (jpeg-js) fully, within limits,
// so a renamed text file or a truncated image is refused before it lands in input/.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest image decoded for the check; far above what the models take. */
const MAX_MEGAPIXELS = 64;

/** Decodes `buf`; throws with a reason when it is not a readable PNG or JPEG. */
export function checkImage(buf: Buffer): ImageInfo {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_MAGIC)) {
    // The IHDR size comes first: refuse decompression bombs before inflating.
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    if (width * height > MAX_MEGAPIXELS * 1e6) throw new Error(`image is ${width}×${height}, more than ${MAX_MEGAPIXELS} megapixels`);
    const png = PNG.sync.read(buf);
    return { format: 'png', width: png.width, height: png.height };
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    const img = jpeg.decode(buf, { useTArray: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
    return { format: 'jpeg', width: img.width, height: img.height };
  }
  throw new Error('not a PNG or JPEG image');
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot >= 0 && TYPES[name.slice(dot).toLowerCase()]) || 'application/octet-stream';
}
