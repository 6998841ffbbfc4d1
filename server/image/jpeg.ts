// JPEG decode via jpeg-js, turned upright by the EXIF orientation tag (as ComfyUI's
// LoadImage does with exif_transpose), so phone photos are not sideways.
import jpeg from 'jpeg-js';
import { checkImageSize, MAX_IMAGE_PIXELS, type RgbImage } from './types.ts';

interface Segment {
  marker: number;
  /** Payload after the 2-byte length. */
  start: number;
  end: number;
}

/** Marker segments up to the first scan (SOS); what follows is entropy-coded data. */
function headerSegments(bytes: Uint8Array): Segment[] {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG file (no SOI marker)');
  const segs: Segment[] = [];
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new Error(`JPEG marker expected at byte ${pos}`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    if (marker >= 0xd0 && marker <= 0xd7) {
      pos += 2;
      continue;
    }
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (len < 2 || pos + 2 + len > bytes.length) throw new Error('JPEG header is truncated');
    segs.push({ marker, start: pos + 4, end: pos + 2 + len });
    pos += 2 + len;
  }
  return segs;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** The frame header (SOF) as coded — before EXIF orientation — without decoding pixels. */
export function jpegFrame(bytes: Uint8Array): { width: number; height: number; bitDepth: number; channels: number } {
  const sof = headerSegments(bytes).find((s) => isSof(s.marker));
  if (!sof || sof.end - sof.start < 6) throw new Error('JPEG has no frame header (SOF)');
  return {
    bitDepth: bytes[sof.start],
    height: (bytes[sof.start + 1] << 8) | bytes[sof.start + 2],
    width: (bytes[sof.start + 3] << 8) | bytes[sof.start + 4],
    channels: bytes[sof.start + 5],
  };
}

/** Width and height as displayed (after EXIF orientation), without decoding pixels. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  const { width, height } = jpegFrame(bytes);
  return jpegOrientation(bytes) >= 5 ? { width: height, height: width } : { width, height };
}

/** The EXIF orientation (1-8) of a JPEG; 1 when absent or unreadable. */
export function jpegOrientation(bytes: Uint8Array): number {
  for (const seg of headerSegments(bytes)) {
    if (seg.marker !== 0xe1 || seg.end - seg.start < 14) continue;
    const exif = bytes.subarray(seg.start, seg.end);
    if (String.fromCharCode(...exif.subarray(0, 6)) !== 'Exif\0\0') continue;
    const tiff = new DataView(exif.buffer, exif.byteOffset + 6, exif.length - 6);
    const order = tiff.getUint16(0);
    if (order !== 0x4949 && order !== 0x4d4d) return 1;
    const le = order === 0x4949;
    try {
      const ifd = tiff.getUint32(4, le);
      const count = tiff.getUint16(ifd, le);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        if (tiff.getUint16(entry, le) !== 0x0112) continue;
        const value = tiff.getUint16(entry + 8, le);
        return value >= 1 && value <= 8 ? value : 1;
      }
    } catch {
      return 1; // offsets past the segment: ignore the broken EXIF, keep the pixels
    }
    return 1;
  }
  return 1;
}

/**
 * Where each pixel comes from under an EXIF orientation (2-8): the upright size, and for each
 * upright pixel (row-major) the index of the stored pixel it takes. One mapping for every pixel format.
 */
export function orientationSource(W: number, H: number, orientation: number): { width: number; height: number; source: Uint32Array } {
  const swap = orientation >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const source = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break; // mirror horizontally
        case 3: sx = W - 1 - x; sy = H - 1 - y; break; // rotate 180°
        case 4: sx = x; sy = H - 1 - y; break; // mirror vertically
        case 5: sx = y; sy = x; break; // transpose
        case 6: sx = y; sy = H - 1 - x; break; // rotate 90° clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break; // transverse
        default: sx = W - 1 - y; sy = x; break; // 8: rotate 90° counter-clockwise
      }
      source[y * w + x] = sy * W + sx;
    }
  }
  return { width: w, height: h, source };
}

/** Applies an EXIF orientation (1-8) so the result is displayed upright. */
export function applyOrientation(image: RgbImage, orientation: number): RgbImage {
  if (orientation <= 1 || orientation > 8) return image;
  const { width, height, source } = orientationSource(image.width, image.height, orientation);
  const { data } = image;
  const out = new Float32Array(data.length);
  for (let d = 0; d < source.length; d++) {
    const s = source[d] * 3;
    out[d * 3] = data[s];
    out[d * 3 + 1] = data[s + 1];
    out[d * 3 + 2] = data[s + 2];
  }
  return { width, height, data: out };
}

export function decodeJpeg(bytes: Uint8Array): RgbImage {
  const size = jpegSize(bytes);
  checkImageSize(size.width, size.height);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    throw new Error(`cannot decode JPEG: ${(e as Error).message ?? String(e)}`);
  }
  const n = raw.width * raw.height * 3;
  if (raw.data.length < n) throw new Error('cannot decode JPEG: pixel data is short');
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = raw.data[i] / 255;
  return applyOrientation({ width: raw.width, height: raw.height, data }, jpegOrientation(bytes));
}
