// Adapter files: .safetensors in the LoRA key convention kohya's scripts and SPM's release use,
//   lora_unet_<module path, dots as underscores>.lora_down.weight   [r, in]  (conv: [r, c_in, kh, kw])
//   lora_unet_<…>.lora_up.weight                                     [out, r] (conv: [out, r, 1, 1])
//   lora_unet_<…>.alpha                                              []       (ΔW scale alpha / r)
// and SPM's metadata (`prompts`: the erased concepts, comma-separated; `rank`; `alpha`), plus the
// hash of the model trained on; written in fp16 by default (kohya's usual `save_precision`) or
// fp32. Loading maps keys onto the model's layers by module path and reports what did not map
// (text-encoder keys, layers the model lacks). A spectral adapter is stored as shift files are
// (`<layer>.delta`, F32) with the same metadata, and loads by module path onto any model with
// the same layers (its δ then act on that model's singular values).
import { DataType } from '../onnx/index.ts';
import { f32FromBytes, makeShifts, modelLayers, parseSafetensors, serializeSafetensors, SafetensorsError, weightValues, type SpectralModelRef, type WrittenDtype } from '../spectral/index.ts';
import { type Adapter, type AdapterLayer } from './adapter.ts';
import { modelTargets } from './bake.ts';

export const ADAPTER_EXT = '.safetensors';
export const META_MODEL_HASH = 'svdiff_model_hash';
const UNET_PREFIX = 'lora_unet_';

export class AdapterFileError extends Error {
  override name = 'AdapterFileError';
}

/** A module path as a kohya key stem: `down_blocks.0.attn1.to_q` → `lora_unet_down_blocks_0_attn1_to_q`. */
export function loraKey(layer: string): string {
  return UNET_PREFIX + layer.replaceAll('.', '_');
}

/** Precision of the adapter tensors written (kohya's `save_precision`); δ of a spectral adapter is always F32, as in shift files. */
export type AdapterPrecision = 'fp16' | 'fp32';
export const ADAPTER_PRECISIONS: readonly AdapterPrecision[] = ['fp16', 'fp32'];
const WRITTEN: Record<AdapterPrecision, WrittenDtype> = { fp16: 'F16', fp32: 'F32' };
const F16_MAX = 65504;

export function encodeAdapterFile(a: Adapter, precision: AdapterPrecision = 'fp16'): Uint8Array {
  const dtype = WRITTEN[precision];
  if (dtype === 'F16') {
    for (const l of a.layers.values()) {
      const big = [...l.up, ...l.down].find((v) => !(Math.abs(v) <= F16_MAX));
      if (big !== undefined) throw new AdapterFileError(`layer "${l.name}" holds ${big}, beyond fp16's range (±${F16_MAX}): save it in fp32`);
    }
  }
  const tensors = new Map<string, { data: Float32Array; shape?: number[]; dtype?: WrittenDtype }>();
  let rank = 0, alpha = 0;
  for (const [layer, d] of a.spectral?.deltas ?? []) tensors.set(`${layer}.delta`, { data: d });
  for (const l of a.layers.values()) {
    const k = loraKey(l.name);
    const kernel = l.kernel ?? [];
    const kk = kernel.reduce((x, y) => x * y, 1);
    tensors.set(`${k}.lora_down.weight`, { data: l.down, shape: kernel.length ? [l.rank, l.in / kk, ...kernel] : [l.rank, l.in], dtype });
    tensors.set(`${k}.lora_up.weight`, { data: l.up, shape: kernel.length ? [l.out, l.rank, 1, 1] : [l.out, l.rank], dtype });
    tensors.set(`${k}.alpha`, { data: Float32Array.of(l.alpha), shape: [], dtype });
    rank = l.rank;
    alpha = l.alpha;
  }
  return serializeSafetensors(tensors, {
    ...a.metadata,
    prompts: a.concepts.join(','),
    rank: String(rank),
    alpha: String(alpha),
    ...(a.modelHash ? { [META_MODEL_HASH]: a.modelHash } : {}),
  });
}

export interface LoadedAdapter {
  adapter: Adapter;
  /** Keys (stems) that did not map onto the model, with why. */
  unmapped: string[];
}

const DTYPES: Record<string, number> = { F32: DataType.FLOAT, F16: DataType.FLOAT16, BF16: DataType.BFLOAT16, F64: DataType.DOUBLE };

/** Decodes an adapter file for `model`: keys by module path; shapes checked against the model's layers. */
export function decodeAdapterFile(buf: Uint8Array, model: SpectralModelRef, what = 'adapter file'): LoadedAdapter {
  let file;
  try {
    file = parseSafetensors(buf, what);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new AdapterFileError(e.message);
    throw e;
  }
  const targets = modelTargets(model);
  const byStem = new Map([...targets.values()].map((t) => [loraKey(t.name), t]));
  const deltas = new Map<string, Float32Array>();
  let spectralLayers: Map<string, number> | undefined;
  const stems = new Map<string, Partial<Record<'up' | 'down' | 'alpha', { shape: number[]; values: Float32Array }>>>();
  const unmapped: string[] = [];
  for (const [name, t] of file.tensors) {
    if (name.endsWith('.delta')) {
      spectralLayers ??= new Map(modelLayers(model).map((l) => [l.name, l.k]));
      const layer = name.slice(0, -'.delta'.length);
      const k = spectralLayers.get(layer);
      if (k === undefined) { unmapped.push(`${name} (no such spectral layer)`); continue; }
      if (t.dtype !== 'F32' || t.shape.length !== 1 || t.shape[0] !== k) throw new AdapterFileError(`${what}: "${name}" is ${t.dtype}[${t.shape}], the model's layer has ${k} singular values (F32[${k}])`);
      const d = f32FromBytes(t.bytes);
      if (!d.every(Number.isFinite)) throw new AdapterFileError(`${what}: "${name}" holds a non-finite value`);
      deltas.set(layer, d);
      continue;
    }
    const m = /^(.*)\.(lora_up\.weight|lora_down\.weight|alpha)$/.exec(name);
    if (!m) { unmapped.push(`${name} (not a LoRA key)`); continue; }
    const dt = DTYPES[t.dtype];
    if (dt === undefined) throw new AdapterFileError(`${what}: tensor "${name}" is ${t.dtype}; adapters are F32, F16, BF16 or F64`);
    const kind = m[2] === 'alpha' ? 'alpha' : m[2].startsWith('lora_up') ? 'up' : 'down';
    const e = stems.get(m[1]) ?? {};
    e[kind] = { shape: t.shape, values: weightValues({ name, dataType: dt }, t.bytes) };
    stems.set(m[1], e);
  }
  const layers = new Map<string, AdapterLayer>();
  for (const [stem, e] of stems) {
    const target = byStem.get(stem);
    if (!target) { unmapped.push(`${stem} (${stem.startsWith(UNET_PREFIX) ? 'no such adaptable UNet layer' : 'not a UNet layer'})`); continue; }
    if (!e.up || !e.down) throw new AdapterFileError(`${what}: "${stem}" has no lora_${e.up ? 'down' : 'up'}.weight`);
    const rank = e.up.shape[1];
    const out = e.up.shape[0];
    const inn = e.down.values.length / Math.max(1, rank);
    if (e.down.shape[0] !== rank || e.up.shape.slice(2).some((d) => d !== 1)) {
      throw new AdapterFileError(`${what}: "${stem}": lora_up [${e.up.shape}] and lora_down [${e.down.shape}] do not form a rank-${rank} update`);
    }
    if (out !== target.out || inn !== target.in) {
      throw new AdapterFileError(`${what}: "${stem}" is ${out}×${inn}, the model's layer ${target.name} is ${target.out}×${target.in}`);
    }
    const alpha = e.alpha ? e.alpha.values[0] : rank;
    if (!Number.isFinite(alpha)) throw new AdapterFileError(`${what}: "${stem}.alpha" is ${alpha}`);
    for (const v of [e.up.values, e.down.values]) {
      if (!v.every(Number.isFinite)) throw new AdapterFileError(`${what}: "${stem}" holds a non-finite value`);
    }
    layers.set(target.name, {
      name: target.name, rank, up: e.up.values, down: e.down.values, alpha, out, in: inn,
      ...(e.down.shape.length === 4 ? { kernel: e.down.shape.slice(2) } : {}),
    });
  }
  if (layers.size === 0 && deltas.size === 0) throw new AdapterFileError(`${what}: no key maps onto this model's UNet layers (${unmapped.slice(0, 3).join('; ') || 'the file has no tensors'})`);
  const { prompts, rank: _r, alpha: _a, [META_MODEL_HASH]: hash, ...metadata } = file.metadata;
  return {
    adapter: {
      modelHash: hash ?? '', layers, concepts: (prompts ?? '').split(',').map((s) => s.trim()).filter(Boolean), metadata,
      ...(deltas.size ? { spectral: makeShifts(model.contentHash, deltas) } : {}),
    },
    unmapped,
  };
}
