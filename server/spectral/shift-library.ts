// The shifts/ folder: listing shift files for Load Shifts, resolving names safely inside it,
// and loading a file for a model (ours, checked by model hash; or a reference SVDiff file,
// mapped by module path, since it carries no hash).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Storage } from '../core/index.ts';
import { SPECTRAL_PARTS, type SpectralPart } from './layers.ts';
import { layerLengths, modelLayers, type SpectralModelRef } from './model-layers.ts';
import { parseSafetensors } from './safetensors.ts';
import { decodeShiftFile, importReferenceShifts, META_MODEL_HASH, ShiftFileError, type ReferenceKeyMapping } from './shift-file.ts';
import type { SpectralShifts } from './shifts.ts';
import { svdLayerLengths, type SvdValue } from './svd-model.ts';

export const SHIFT_EXT = '.safetensors';

/** .safetensors files under `shiftsDir` (shifts/, or adapters/; sub-folders included), as '/'-separated relative names, sorted. */
export async function listShiftFiles(shiftsDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 8) await walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith(SHIFT_EXT)) out.push(relative(shiftsDir, p).split(sep).join('/'));
    }
  };
  await walk(shiftsDir, 0);
  return out.sort();
}

/** Path for saving `<prefix>.safetensors` inside shifts/ (throws on names that leave it). */
export function shiftSavePath(storage: Storage, prefix: string): { path: string; name: string } {
  return savePathIn(storage, storage.shiftsDir, prefix);
}

/** Path for saving `<prefix>.safetensors` inside the data folder `dir` (shifts/, adapters/). */
export function savePathIn(storage: Storage, dir: string, prefix: string): { path: string; name: string } {
  const p = prefix.trim();
  if (p === '') throw new Error('the file name prefix is empty');
  const name = p.endsWith(SHIFT_EXT) ? p : `${p}${SHIFT_EXT}`;
  return { path: storage.resolveInside(dir, name), name };
}

export interface LoadedShiftFile {
  shifts: SpectralShifts;
  /** Set when the file was a reference (PyTorch SVDiff) file mapped by module path. */
  reference?: ReferenceKeyMapping;
}

/**
 * Loads a shift file for `model`, checking the model hash and every layer's length against
 * the SVD value's layers when given, else against the model's own layers (UNet, plus the
 * text encoder's when the file holds any). Missing layers load as zero.
 */
export async function loadShiftsForModel(path: string, model: SpectralModelRef, svd?: SvdValue, what = 'shift file'): Promise<LoadedShiftFile> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new ShiftFileError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let keys: string[] = [];
  let metadata: Record<string, string> = {};
  try {
    const f = parseSafetensors(buf, what);
    keys = [...f.tensors.keys()];
    metadata = f.metadata;
  } catch {
    /* decodeShiftFile reports the damage with the same words */
  }
  let layers: Map<string, number>;
  if (svd) {
    if (svd.modelHash !== model.contentHash) throw new ShiftFileError(`the SVD input was made for model ${svd.modelHash}, the model is ${model.contentHash}`);
    layers = svdLayerLengths(svd);
    const outside = keys.map((k) => k.replace(/\.delta$/, '')).filter((n) => !layers.has(n));
    const inModel = new Set(modelLayers(model, SPECTRAL_PARTS).map((l) => l.name));
    const selectionOnly = outside.filter((n) => inModel.has(n));
    if (selectionOnly.length) {
      const shown = selectionOnly.slice(0, 5).join(', ') + (selectionOnly.length > 5 ? `, … (${selectionOnly.length} in all)` : '');
      throw new ShiftFileError(`${what} has shifts for layers outside the SVD input's selection (${svd.selection.parts.join('+')}, ${svd.selection.layers}${svd.selection.nameFilter ? `, filter ${JSON.stringify(svd.selection.nameFilter)}` : ''}): ${shown}; connect an SVD that includes them, or leave svd unconnected`);
    }
  } else {
    const all = modelLayers(model, SPECTRAL_PARTS);
    const named = new Set(keys.map((k) => k.replace(/\.delta$/, '')));
    const parts = new Set<SpectralPart>(['unet']);
    for (const l of all) if (named.has(l.name)) parts.add(l.part);
    layers = layerLengths(all.filter((l) => parts.has(l.part)));
  }
  const expected = { modelHash: model.contentHash, layers };
  if (keys.length > 0 && metadata[META_MODEL_HASH] === undefined) {
    const { shifts, mapping } = importReferenceShifts(buf, expected, what);
    if (mapping.mapped.size === 0) throw new ShiftFileError(`${what} is neither an SVDiff Studio shift file (no ${META_MODEL_HASH} metadata) nor a reference file with keys this model's layers match (e.g. ${keys[0]})`);
    return { shifts, reference: mapping };
  }
  return { shifts: decodeShiftFile(buf, expected, what) };
}

/** SHA-256 of a shift file (cache fingerprint: a changed file is read again; shift files are small). */
export async function fileSignature(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch {
    return 'missing';
  }
}
