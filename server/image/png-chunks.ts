// PNG chunk walker. Hand-written rather than png-chunks-extract/-encode: those trust the
// length field (a corrupt upload could make them allocate gigabytes) and build a JS array
// of every IDAT byte to compute a CRC. Here chunks are views into the input, bounds are
// checked, and the CRC comes from node:zlib.
import { crc32 } from 'node:zlib';

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export interface PngChunk {
  /** Four ASCII letters, e.g. `IHDR`, `tEXt`. */
  type: string;
  data: Uint8Array;
}

export function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

/** Splits a PNG into its chunks (up to and including IEND). Throws on a malformed file. */
export function splitPngChunks(bytes: Uint8Array, opts: { checkCrc?: boolean } = {}): PngChunk[] {
  if (!hasPngSignature(bytes)) throw new Error('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    if (pos + 12 + length > bytes.length) throw new Error(`PNG chunk at byte ${pos} runs past the end of the file`);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`PNG chunk at byte ${pos} has an invalid type`);
    if (chunks.length === 0 && type !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (opts.checkCrc) {
      const expected = view.getUint32(pos + 8 + length);
      if (crc32(data, crc32(bytes.subarray(pos + 4, pos + 8))) >>> 0 !== expected) throw new Error(`PNG chunk ${type} has a bad CRC`);
    }
    chunks.push({ type, data });
    pos += 12 + length;
    if (type === 'IEND') return chunks;
  }
  throw new Error('PNG is truncated (no IEND chunk)');
}

/** Joins chunks into a PNG file, computing lengths and CRCs. */
export function joinPngChunks(chunks: readonly PngChunk[]): Uint8Array {
  let size = 8;
  for (const c of chunks) size += 12 + c.data.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(PNG_SIGNATURE, 0);
  let pos = 8;
  for (const c of chunks) {
    if (!/^[A-Za-z]{4}$/.test(c.type)) throw new Error(`invalid PNG chunk type "${c.type}"`);
    view.setUint32(pos, c.data.length);
    for (let i = 0; i < 4; i++) out[pos + 4 + i] = c.type.charCodeAt(i);
    out.set(c.data, pos + 8);
    view.setUint32(pos + 8 + c.data.length, crc32(out.subarray(pos + 4, pos + 8 + c.data.length)) >>> 0);
    pos += 12 + c.data.length;
  }
  return out;
}
