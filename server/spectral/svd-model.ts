// The SVD value (socket type SVD): per-layer factors W = U·diag(S)·Vᵀ for one model and one
// layer selection. Matrix factors are cached on disk per model content hash and layer (one
// safetensors file each, through the SVD cache), so a second decomposition, or another
// selection that shares layers, loads them instead of recomputing.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { svd as computeSvd, SvdPool } from '../linalg/index.ts';
import { readTensorBytes, type ModelProto } from '../onnx/index.ts';
import { findSpectralLayers, weightValues, type SpectralLayer, type SpectralPart } from './layers.ts';
import { modelLayers, readWeight, type SpectralModelRef } from './model-layers.ts';
import { DEFAULT_SELECTION, selectLayers, selectionHash, type LayerSelection } from './selection.ts';
import { SvdCache, type ByteRange, type StoredFactors, type SvdCompute } from './svd-cache.ts';

export interface SvdLayer extends SpectralLayer {
  /** rows×k row-major (a norm scale: [1]). Read from the cache file on each access when `stored`: take it once per use. */
  readonly U: Float32Array;
  /** k singular values, descending, ≥ 0 (a norm scale: [‖w‖]). */
  readonly S: Float32Array;
  /** cols×k row-major (a norm scale: w/‖w‖). Like U. */
  readonly V: Float32Array;
  /** Where U and V lie when they are left in the SVD cache file instead of memory (big models). */
  readonly stored?: StoredFactors;
}

/**
 * Selections whose U and V together pass this many bytes keep them in their cache files, not in
 * memory: SD 1.5's UNet + text encoder have 4.7 GB of factors, which the training session holds
 * too (it reads them from the files itself), and the engine's output cache keeps the SVD value.
 */
export const IN_MEMORY_FACTOR_BYTES = 512 * 2 ** 20;

/** A layer whose U and V stay in the cache file; each access reads them. */
class StoredSvdLayer implements SvdLayer {
  readonly name: string;
  readonly S: Float32Array;
  constructor(layer: SpectralLayer, readonly stored: StoredFactors) {
    Object.assign(this, layer);
    this.name = layer.name;
    this.S = clampNonNegative(stored.S);
  }
  get U(): Float32Array { return readFactor(this.stored.file, this.stored.U); }
  get V(): Float32Array { return readFactor(this.stored.file, this.stored.V); }
}
interface StoredSvdLayer extends SpectralLayer {}

function readFactor(file: string, r: ByteRange): Float32Array {
  const fd = openSync(file, 'r');
  try {
    const out = new Float32Array(r.length / 4);
    const bytes = new Uint8Array(out.buffer);
    let done = 0;
    while (done < r.length) {
      const n = readSync(fd, bytes, done, r.length - done, r.offset + done);
      if (n <= 0) throw new Error(`svd cache file ${file} ends before its factors: was it removed or truncated? Run SVD Decompose again`);
      done += n;
    }
    // safetensors data are little-endian, as every platform ORT runs on.
    return out;
  } finally {
    closeSync(fd);
  }
}

export interface SvdValue {
  readonly kind: 'svdiff-svd';
  readonly modelHash: string;
  readonly selection: LayerSelection;
  readonly selectionHash: string;
  readonly layers: Map<string, SvdLayer>;
  /** Bytes held by the factors (for the output cache). */
  readonly byteSize: number;
}

export interface DecomposeOptions {
  /** Data folder's cache/ (factors go to cache/svd/<modelHash>/); omit to compute without caching. */
  cacheDir?: string;
  signal?: AbortSignal;
  /** Called after each layer. */
  onLayer?: (done: number, total: number, layer: SvdLayer, fromCache: boolean) => void;
  compute?: SvdCompute;
  /**
   * Worker threads for large matrices (≥ POOL_MIN_ELEMENTS values; smaller ones stay on this
   * thread, where a worker round trip would cost more than the SVD). Default 1: no workers.
   */
  workers?: number;
  /** Override of IN_MEMORY_FACTOR_BYTES (tests). */
  inMemoryBytes?: number;
  /** Override of POOL_MIN_ELEMENTS (tests). */
  poolMinElements?: number;
}

/** Matrices at least this big go to the worker pool (SD's 320×320 and up; the embedded model's stay here). */
export const POOL_MIN_ELEMENTS = 300_000;

export interface DecomposeStats {
  layers: number;
  fromCache: number;
  computed: number;
  /** Cache files found damaged (then recomputed). */
  corrupt: { layer: string; reason: string }[];
}

/** Where a model's factors are cached. */
export function svdCacheDir(cacheDir: string, modelHash: string): string {
  return join(cacheDir, 'svd', modelHash);
}

/** Factors of every selected layer of `model`. Throws if the selection matches no layer. */
export async function decomposeModel(model: SpectralModelRef, selection: LayerSelection, opts: DecomposeOptions = {}): Promise<{ svd: SvdValue; stats: DecomposeStats }> {
  const layers = selectLayers(modelLayers(model, selection.parts), selection);
  return decomposeLayers(model.contentHash, selection, layers, (l) => readWeight(model, l), opts);
}

/** The same for one in-memory graph (tests, tools): `modelHash` names it. */
export async function decomposeGraph(graph: ModelProto, part: SpectralPart, modelHash: string, selection: Partial<LayerSelection> = {}, opts: DecomposeOptions = {}): Promise<{ svd: SvdValue; stats: DecomposeStats }> {
  const sel: LayerSelection = { ...DEFAULT_SELECTION, ...selection, parts: [part] };
  const layers = selectLayers(findSpectralLayers(graph, part), sel);
  const inits = new Map((graph.graph?.initializer ?? []).map((t) => [t.name!, t]));
  return decomposeLayers(modelHash, sel, layers, (l) => {
    const t = inits.get(l.initializer)!;
    return weightValues(t, readTensorBytes(t));
  }, opts);
}

async function decomposeLayers(modelHash: string, selection: LayerSelection, layers: SpectralLayer[], read: (l: SpectralLayer) => Float32Array, opts: DecomposeOptions): Promise<{ svd: SvdValue; stats: DecomposeStats }> {
  if (layers.length === 0) throw new Error(`no layer matches the selection (parts ${selection.parts.join('+')}, layers ${selection.layers}${selection.nameFilter ? `, filter ${JSON.stringify(selection.nameFilter)}` : ''})`);
  const cache = opts.cacheDir ? new SvdCache(svdCacheDir(opts.cacheDir, modelHash)) : undefined;
  const stats: DecomposeStats = { layers: layers.length, fromCache: 0, computed: 0, corrupt: [] };
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  let pool: SvdPool | undefined;
  const compute: SvdCompute = opts.compute ?? (workers > 1
    ? (m, r, c) => (r * c >= (opts.poolMinElements ?? POOL_MIN_ELEMENTS) ? (pool ??= new SvdPool(workers)).svd(m, r, c) : computeSvd(m, r, c))
    : computeSvd);
  const factorBytes = layers.reduce((n, l) => n + (l.kind === 'norm' ? 0 : (l.rows + l.cols) * l.k * 4), 0);
  const leaveInFiles = cache !== undefined && factorBytes > (opts.inMemoryBytes ?? IN_MEMORY_FACTOR_BYTES);
  const results: SvdLayer[] = new Array(layers.length);
  let next = 0;
  let done = 0;
  // Up to `workers` layers in flight (each holds its weight in memory meanwhile).
  const runner = async () => {
    while (next < layers.length) {
      opts.signal?.throwIfAborted();
      const i = next++;
      const { factors, fromCache } = await layerFactors(layers[i], read, cache, compute, leaveInFiles);
      if (fromCache) stats.fromCache++;
      else stats.computed++;
      results[i] = factors;
      opts.onLayer?.(++done, layers.length, factors, fromCache);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.compute ? 1 : workers, layers.length) }, runner));
  } finally {
    await pool?.close();
  }
  const out = new Map<string, SvdLayer>();
  let bytes = 0;
  for (const f of results) {
    out.set(f.name, f);
    bytes += f.stored ? f.S.byteLength : f.U.byteLength + f.S.byteLength + f.V.byteLength;
  }
  if (cache) stats.corrupt.push(...cache.corrupt);
  const svd: SvdValue = { kind: 'svdiff-svd', modelHash, selection: { ...selection, parts: [...selection.parts] }, selectionHash: selectionHash(selection), layers: out, byteSize: bytes };
  return { svd, stats };
}

/**
 * One layer's factors: norms directly (σ = ‖w‖), matrices from the cache or the SVD; with
 * `leaveInFiles`, matrix factors are checked and left in their cache file (StoredSvdLayer).
 */
export async function layerFactors(layer: SpectralLayer, read: (l: SpectralLayer) => Float32Array, cache?: SvdCache, compute: SvdCompute = computeSvd, leaveInFiles = false): Promise<{ factors: SvdLayer; fromCache: boolean }> {
  if (layer.kind === 'norm') return { factors: normFactors(layer, read(layer)), fromCache: false };
  if (cache && leaveInFiles) {
    const hit = await cache.getStored(layer.name, layer.rows, layer.cols);
    if (hit) return { factors: new StoredSvdLayer(layer, hit), fromCache: true };
    const r = await compute(read(layer), layer.rows, layer.cols);
    if (r.k !== layer.k) throw new Error(`svd of ${layer.name}: got ${r.k} singular values, expected ${layer.k}`);
    await cache.put(layer.name, { rows: layer.rows, cols: layer.cols, k: r.k, U: r.U, S: r.S, V: r.V });
    const stored = await cache.getStored(layer.name, layer.rows, layer.cols);
    if (!stored) throw new Error(`svd cache: the factors of ${layer.name} just written cannot be read back from ${cache.dir}`);
    return { factors: new StoredSvdLayer(layer, stored), fromCache: false };
  }
  const hit = cache ? await cache.get(layer.name, layer.rows, layer.cols) : null;
  if (hit) return { factors: { ...layer, U: hit.U, S: clampNonNegative(hit.S), V: hit.V }, fromCache: true };
  const w = read(layer);
  const r = await compute(w, layer.rows, layer.cols);
  if (r.k !== layer.k) throw new Error(`svd of ${layer.name}: got ${r.k} singular values, expected ${layer.k}`);
  if (cache) await cache.put(layer.name, { rows: layer.rows, cols: layer.cols, k: r.k, U: r.U, S: r.S, V: r.V });
  return { factors: { ...layer, U: r.U, S: clampNonNegative(r.S), V: r.V }, fromCache: false };
}

/** A 1-D scale w as a 1 × n matrix: U = [1], σ = ‖w‖, V = w/‖w‖ (zeros when w = 0). */
export function normFactors(layer: SpectralLayer, w: Float32Array): SvdLayer {
  let ss = 0;
  for (let i = 0; i < w.length; i++) ss += w[i] * w[i];
  const norm = Math.sqrt(ss);
  const V = new Float32Array(w.length);
  if (norm > 0) for (let i = 0; i < w.length; i++) V[i] = w[i] / norm;
  return { ...layer, U: Float32Array.of(1), S: Float32Array.of(norm), V };
}

/** σ ≥ 0 is what makes δ = 0 exact (ReLU(σ) − σ = 0); rounding can leave a −0 or a tiny negative. */
function clampNonNegative(S: Float32Array): Float32Array {
  for (let i = 0; i < S.length; i++) if (!(S[i] > 0)) S[i] = 0;
  return S;
}

/** Layer name → δ length of an SVD value (what shift files are checked against). */
export function svdLayerLengths(svd: SvdValue): Map<string, number> {
  return new Map([...svd.layers.values()].map((l) => [l.name, l.k]));
}
