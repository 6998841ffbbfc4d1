// Minimal safetensors reader/writer (the format: u64 LE header length, a JSON header of
// name → {dtype, shape, data_offsets:[begin, end]} plus an optional "__metadata__" of
// string → string, then the raw little-endian data; offsets are relative to the data start).
// Writes F32 (shift files) or F16 (adapter files, as kohya saves LoRAs); strict validation with
// clear messages.
import { open } from 'node:fs/promises';
import { toHalfBits } from '../onnx/index.ts';

export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  /** Raw bytes of the tensor (a view into the file). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8,
};
/** Headers above this are refused (the reference implementation caps at 100 MB too). */
const MAX_HEADER = 100 * 1024 * 1024;

/** The header's length from the first 8 bytes, checked against the file's size. */
function headerLength(first8: Uint8Array, fileSize: number, what: string): number {
  if (first8.byteLength < 8) throw new SafetensorsError(`${what}: truncated (${fileSize} bytes; a safetensors file starts with an 8-byte header length)`);
  const headerLen = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER)) throw new SafetensorsError(`${what}: header length ${headerLen} is implausibly large (corrupt header)`);
  const hl = Number(headerLen);
  if (8 + hl > fileSize) throw new SafetensorsError(`${what}: header length ${hl} runs past the end of the file (${fileSize} bytes): truncated or corrupt`);
  return hl;
}

/** The header's JSON object (tensor entries and __metadata__, unchecked). */
function decodeHeader(bytes: Uint8Array, what: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new SafetensorsError(`${what}: corrupt header (not valid JSON: ${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(`${what}: corrupt header (not a JSON object)`);
  return header as Record<string, unknown>;
}

/** A file's header alone, read without its tensor data (listing metadata of large files). */
export async function readSafetensorsHeader(path: string, what = 'file'): Promise<Record<string, unknown>> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const first8 = new Uint8Array(8);
    const { bytesRead } = await fh.read(first8, 0, 8, 0);
    const hl = headerLength(first8.subarray(0, bytesRead), size, what);
    const bytes = new Uint8Array(hl);
    await fh.read(bytes, 0, hl, 8);
    return decodeHeader(bytes, what);
  } finally {
    await fh.close();
  }
}

/** Parses and validates a whole file held in memory. `what` names it in errors. */
export function parseSafetensors(buf: Uint8Array, what = 'file'): SafetensorsFile {
  const hl = headerLength(buf, buf.byteLength, what);
  const header = decodeHeader(buf.subarray(8, 8 + hl), what);
  const dataStart = 8 + hl;
  const dataLen = buf.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new SafetensorsError(`${what}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`${what}: __metadata__ value for "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new SafetensorsError(`${what}: tensor "${name}" has no description`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_SIZES)) throw new SafetensorsError(`${what}: tensor "${name}" has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${what}: tensor "${name}" has a bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new SafetensorsError(`${what}: tensor "${name}" has bad data_offsets ${JSON.stringify(off)}`);
    }
    const [b, end] = off as [number, number];
    if (end > dataLen) throw new SafetensorsError(`${what}: tensor "${name}" data [${b}, ${end}) lies past the end of the data (${dataLen} bytes): truncated or corrupt`);
    const count = (e.shape as number[]).reduce((a, d) => a * d, 1);
    if (count * DTYPE_SIZES[e.dtype] !== end - b) {
      throw new SafetensorsError(`${what}: tensor "${name}" is ${end - b} bytes but ${e.dtype}${JSON.stringify(e.shape)} needs ${count * DTYPE_SIZES[e.dtype]}`);
    }
    ranges.push([b, end, name]);
    tensors.set(name, { dtype: e.dtype, shape: e.shape as number[], bytes: buf.subarray(dataStart + b, dataStart + end) });
  }
  ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new SafetensorsError(`${what}: tensors "${ranges[i - 1][2]}" and "${ranges[i][2]}" overlap (corrupt offsets)`);
  }
  return { tensors, metadata };
}

export type WrittenDtype = 'F32' | 'F16';
const WIDTH: Record<WrittenDtype, number> = { F32: 4, F16: 2 };

/** Serialises tensors (name → values, shape [n] unless given, F32 unless given; F16 rounds to nearest even) and string metadata. */
export function serializeSafetensors(tensors: Map<string, { data: Float32Array; shape?: number[]; dtype?: WrittenDtype }>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const dtype = t.dtype ?? 'F32';
    const bytes = t.data.length * WIDTH[dtype];
    header[name] = { dtype, shape: t.shape ?? [t.data.length], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces to a multiple of 8 so the data is aligned (as the format recommends).
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  const le = new DataView(out.buffer);
  for (const name of names) {
    const { data: d, dtype } = tensors.get(name)!;
    if (dtype === 'F16') for (let i = 0; i < d.length; i++, pos += 2) le.setUint16(pos, toHalfBits(d[i]), true);
    else for (let i = 0; i < d.length; i++, pos += 4) le.setFloat32(pos, d[i], true);
  }
  return out;
}

/** F32 bytes → Float32Array (copy; the file buffer may be unaligned). */
export function f32FromBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}
