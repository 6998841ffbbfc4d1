// Shift files: `.safetensors` with one F32 1-D tensor `<layer>.delta` per layer and string
// metadata (model hash, format version, training settings, `partial`). Readable by any
// safetensors reader; written atomically through the caller's writeAtomic.
import { readFile } from 'node:fs/promises';
import { f32FromBytes, parseSafetensors, serializeSafetensors, SafetensorsError, type SafetensorsTensor } from './safetensors.ts';
import { makeShifts, type SpectralShifts } from './shifts.ts';
import { fromBfloat16Bits, fromHalfBits } from '../onnx/float16.ts';

export const SHIFT_FORMAT_VERSION = '1';
export const META_MODEL_HASH = 'svdiff_model_hash';
export const META_FORMAT_VERSION = 'svdiff_format_version';
/** Training settings as a JSON string. */
export const META_TRAINING = 'svdiff_training';
/** Present ("true") when training was interrupted before its last step. */
export const META_PARTIAL = 'partial';

const SUFFIX = '.delta';

export class ShiftFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShiftFileError';
  }
}

export interface ExpectedLayers {
  modelHash: string;
  /** Layer name → number of singular values. */
  layers: Map<string, number>;
}

export type WriteAtomic = (path: string, data: Uint8Array) => Promise<void>;

/** Bytes of a shift file for `shifts` (metadata: the shifts' own, plus hash and version). */
export function encodeShiftFile(shifts: SpectralShifts): Uint8Array {
  const tensors = new Map<string, { data: Float32Array }>();
  for (const [layer, d] of shifts.deltas) {
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new ShiftFileError(`layer "${layer}": δ[${i}] is ${d[i]}; refusing to save non-finite shifts`);
    }
    tensors.set(layer + SUFFIX, { data: d });
  }
  const metadata: Record<string, string> = { ...shifts.metadata, [META_MODEL_HASH]: shifts.modelHash, [META_FORMAT_VERSION]: SHIFT_FORMAT_VERSION };
  return serializeSafetensors(tensors, metadata);
}

export async function saveShiftFile(path: string, shifts: SpectralShifts, writeAtomic: WriteAtomic): Promise<void> {
  await writeAtomic(path, encodeShiftFile(shifts));
}

export async function loadShiftFile(path: string, expected: ExpectedLayers): Promise<SpectralShifts> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new ShiftFileError(`cannot read shift file ${path}: ${(e as Error).message}`);
  }
  return decodeShiftFile(buf, expected, `shift file ${path}`);
}

/** Validates a shift file's bytes against the model's layers. Missing layers load as zero. */
export function decodeShiftFile(buf: Uint8Array, expected: ExpectedLayers, what = 'shift file'): SpectralShifts {
  const file = parse(buf, what);
  const version = file.metadata[META_FORMAT_VERSION];
  const hash = file.metadata[META_MODEL_HASH];
  if (hash === undefined) {
    throw new ShiftFileError(`${what} has no ${META_MODEL_HASH} metadata: not an SVDiff Studio shift file (a reference spectral_shifts.safetensors is imported with importReferenceShifts)`);
  }
  if (version !== SHIFT_FORMAT_VERSION) throw new ShiftFileError(`${what} has format version ${JSON.stringify(version)}; this build reads version ${SHIFT_FORMAT_VERSION}`);
  if (hash !== expected.modelHash) throw new ShiftFileError(`${what} was trained for model ${hash}, this model is ${expected.modelHash}`);
  const deltas = new Map<string, Float32Array>();
  const unknown: string[] = [];
  for (const [key, t] of file.tensors) {
    if (!key.endsWith(SUFFIX)) {
      unknown.push(key);
      continue;
    }
    const layer = key.slice(0, -SUFFIX.length);
    const len = expected.layers.get(layer);
    if (len === undefined) {
      unknown.push(key);
      continue;
    }
    deltas.set(layer, tensorValues(t, layer, len, what, ['F32']));
  }
  if (unknown.length) {
    const shown = unknown.slice(0, 10).join(', ') + (unknown.length > 10 ? `, … (${unknown.length} in all)` : '');
    throw new ShiftFileError(`${what} has tensors for layers this model does not have: ${shown}`);
  }
  // Missing layers (a partial file, or a subset of layers) count as zero.
  for (const [layer, len] of expected.layers) if (!deltas.has(layer)) deltas.set(layer, new Float32Array(len));
  const metadata = { ...file.metadata };
  delete metadata[META_MODEL_HASH];
  delete metadata[META_FORMAT_VERSION];
  return makeShifts(hash, deltas, metadata);
}

function parse(buf: Uint8Array, what: string) {
  try {
    return parseSafetensors(buf, what);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ShiftFileError(e.message);
    throw e;
  }
}

function tensorValues(t: SafetensorsTensor, layer: string, len: number, what: string, dtypes: string[]): Float32Array {
  if (!dtypes.includes(t.dtype)) {
    throw new ShiftFileError(`${what}: layer "${layer}" is stored as ${t.dtype}; expected ${dtypes.join(' or ')}`);
  }
  if (t.shape.length !== 1) throw new ShiftFileError(`${what}: layer "${layer}" has shape [${t.shape.join(', ')}]; a shift is 1-D [${len}]`);
  if (t.shape[0] !== len) throw new ShiftFileError(`${what}: layer "${layer}" has ${t.shape[0]} values; this model's layer has ${len} singular values`);
  const v = decode(t);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new ShiftFileError(`${what}: layer "${layer}" has a non-finite value (${v[i]}) at index ${i}`);
  }
  return v;
}

function decode(t: SafetensorsTensor): Float32Array {
  if (t.dtype === 'F32') return f32FromBytes(t.bytes);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(t.bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) {
    const h = dv.getUint16(i * 2, true);
    out[i] = t.dtype === 'BF16' ? fromBfloat16Bits(h) : fromHalfBits(h);
  }
  return out;
}


export interface ReferenceKeyMapping {
  /** Reference key (`<module path>.delta`) → our layer name. */
  mapped: Map<string, string>;
  /** Reference keys whose module path is not one of our layer names (e.g. weights the ONNX export renamed to `onnx::MatMul_…`). */
  unmapped: string[];
  /** Our layers no reference key maps to. */
  layersWithoutShift: string[];
}

/**
 * Maps keys of a PyTorch SVDiff `spectral_shifts.safetensors` (module path + `.delta`) to our
 * layer names (the ONNX initializer name without `.weight`), where the export kept the name.
 */
export function mapReferenceKeys(keys: Iterable<string>, layerNames: Iterable<string>): ReferenceKeyMapping {
  const ours = new Set(layerNames);
  const mapped = new Map<string, string>();
  const unmapped: string[] = [];
  for (const key of keys) {
    if (key === '__metadata__') continue;
    const path = key.endsWith(SUFFIX) ? key.slice(0, -SUFFIX.length) : key;
    const hit = [path, `${path}.weight`].find((c) => ours.has(c));
    if (hit !== undefined && key.endsWith(SUFFIX)) mapped.set(key, hit);
    else unmapped.push(key);
  }
  const used = new Set(mapped.values());
  return { mapped, unmapped, layersWithoutShift: [...ours].filter((l) => !used.has(l)) };
}

export interface ReferenceImport {
  shifts: SpectralShifts;
  mapping: ReferenceKeyMapping;
}

/**
 * Imports a reference `spectral_shifts.safetensors` (no model hash inside: the caller vouches
 * for the model). Unmappable keys are reported, not loaded; mapped ones are checked like ours
 * (F32, F16 or BF16 accepted, since the reference may save half precision).
 */
export function importReferenceShifts(buf: Uint8Array, expected: ExpectedLayers, what = 'reference shift file'): ReferenceImport {
  const file = parse(buf, what);
  const mapping = mapReferenceKeys(file.tensors.keys(), expected.layers.keys());
  const deltas = new Map<string, Float32Array>();
  for (const [key, layer] of mapping.mapped) {
    deltas.set(layer, tensorValues(file.tensors.get(key)!, layer, expected.layers.get(layer)!, what, ['F32', 'F16', 'BF16']));
  }
  for (const [layer, len] of expected.layers) if (!deltas.has(layer)) deltas.set(layer, new Float32Array(len));
  const metadata: Record<string, string> = { svdiff_imported_from: 'svdiff-pytorch', svdiff_import_mapped: String(mapping.mapped.size) };
  if (mapping.unmapped.length) metadata.svdiff_import_unmapped = JSON.stringify(mapping.unmapped);
  return { shifts: makeShifts(expected.modelHash, deltas, metadata), mapping };
}
