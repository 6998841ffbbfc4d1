// On-disk cache of per-layer SVD factors, one safetensors file per layer under a folder the
// caller picks (data/cache/svd/<modelHash>-<selectionHash>/). Files are written atomically and
// carry a SHA-256 of their data: a torn, truncated or altered file is detected, reported and
// recomputed, never trusted.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { svd as computeSvd } from '../linalg/index.ts';
import { writeFileAtomic } from '../storage.ts';
import { f32FromBytes, parseSafetensors, serializeSafetensors } from './safetensors.ts';

export interface SvdFactors {
  rows: number;
  cols: number;
  k: number;
  /** rows×k row-major. */
  U: Float32Array;
  /** k, descending. */
  S: Float32Array;
  /** cols×k row-major. */
  V: Float32Array;
}

/** Where one factor lies in a cache file: absolute byte offset and length (float32, row-major). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** A layer's U and V left in its cache file, with the file's (checked) σ in memory. */
export interface StoredFactors {
  file: string;
  S: Float32Array;
  U: ByteRange;
  V: ByteRange;
}

export type SvdCompute = (matrix: Float32Array, rows: number, cols: number) => Promise<Omit<SvdFactors, 'rows' | 'cols'>>;

const FORMAT = 'svdiff-svd-cache-1';

/** File name for a layer: readable prefix + hash (layer names may hold '/', ':' or be long). */
export function cacheFileName(layer: string): string {
  const readable = layer.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  const h = createHash('sha256').update(layer).digest('hex').slice(0, 16);
  return `${readable}-${h}.safetensors`;
}

export class SvdCache {
  /** Layers whose cache file was found damaged (then recomputed), with the reason. */
  readonly corrupt: { layer: string; reason: string }[] = [];

  constructor(
    readonly dir: string,
    private readonly writeAtomic: (path: string, data: Uint8Array) => Promise<void> = writeFileAtomic,
  ) {}

  pathFor(layer: string): string {
    return join(this.dir, cacheFileName(layer));
  }

  /** Cached factors, or null when absent or damaged (a damaged file is removed and noted in `corrupt`). */
  async get(layer: string, rows: number, cols: number): Promise<SvdFactors | null> {
    return this.read(layer, (buf) => decode(buf, layer, rows, cols));
  }

  /** Like get, but leaves U and V in the file: their byte ranges instead of their values. */
  async getStored(layer: string, rows: number, cols: number): Promise<StoredFactors | null> {
    return this.read(layer, (buf, path) => {
      const f = decode(buf, layer, rows, cols);
      const tensors = parseSafetensors(buf).tensors;
      const range = (name: string): ByteRange => {
        const b = tensors.get(name)!.bytes;
        return { offset: b.byteOffset - buf.byteOffset, length: b.byteLength };
      };
      return { file: path, S: f.S, U: range('U'), V: range('V') };
    });
  }

  /** The layer's file through `parse`; null when absent, or damaged (then removed and noted in `corrupt`). */
  private async read<T>(layer: string, parse: (buf: Uint8Array, path: string) => T): Promise<T | null> {
    const path = this.pathFor(layer);
    let buf: Uint8Array;
    try {
      buf = await readFile(path);
    } catch {
      return null;
    }
    try {
      return parse(buf, path);
    } catch (e) {
      this.corrupt.push({ layer, reason: (e as Error).message });
      await rm(path, { force: true });
      return null;
    }
  }

  async put(layer: string, f: SvdFactors): Promise<void> {
    await this.writeAtomic(this.pathFor(layer), encode(layer, f));
  }

  /** Loads the layer's factors, or computes (default: linalg's svd) and stores them. */
  async getOrCompute(layer: string, matrix: Float32Array, rows: number, cols: number, compute: SvdCompute = computeSvd): Promise<{ factors: SvdFactors; fromCache: boolean }> {
    const hit = await this.get(layer, rows, cols);
    if (hit) return { factors: hit, fromCache: true };
    const r = await compute(matrix, rows, cols);
    const factors: SvdFactors = { rows, cols, k: r.k, U: r.U, S: r.S, V: r.V };
    await this.put(layer, factors);
    return { factors, fromCache: false };
  }
}

function checksum(parts: Float32Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

function encode(layer: string, f: SvdFactors): Uint8Array {
  const k = Math.min(f.rows, f.cols);
  if (f.k !== k || f.U.length !== f.rows * k || f.S.length !== k || f.V.length !== f.cols * k) {
    throw new Error(`svd cache: factors for "${layer}" do not match its ${f.rows}×${f.cols} shape`);
  }
  const tensors = new Map([
    ['U', { data: f.U, shape: [f.rows, k] }],
    ['S', { data: f.S, shape: [k] }],
    ['V', { data: f.V, shape: [f.cols, k] }],
  ]);
  return serializeSafetensors(tensors, {
    format: FORMAT,
    layer,
    rows: String(f.rows),
    cols: String(f.cols),
    sha256: checksum([f.U, f.S, f.V]),
  });
}

function decode(buf: Uint8Array, layer: string, rows: number, cols: number): SvdFactors {
  const file = parseSafetensors(buf, `svd cache file for "${layer}"`);
  const m = file.metadata;
  if (m.format !== FORMAT) throw new Error(`unknown cache format ${JSON.stringify(m.format)}`);
  if (m.layer !== layer) throw new Error(`file holds layer ${JSON.stringify(m.layer)}`);
  if (Number(m.rows) !== rows || Number(m.cols) !== cols) throw new Error(`file is for a ${m.rows}×${m.cols} weight, the layer is ${rows}×${cols}`);
  const k = Math.min(rows, cols);
  const get = (name: string, shape: number[]) => {
    const t = file.tensors.get(name);
    if (!t || t.dtype !== 'F32' || t.shape.join() !== shape.join()) throw new Error(`tensor ${name} missing or of the wrong shape/dtype`);
    return f32FromBytes(t.bytes);
  };
  const U = get('U', [rows, k]);
  const S = get('S', [k]);
  const V = get('V', [cols, k]);
  if (checksum([U, S, V]) !== m.sha256) throw new Error('checksum mismatch');
  return { rows, cols, k, U, S, V };
}
