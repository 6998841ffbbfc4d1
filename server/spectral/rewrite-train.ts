// Training form of the spectral-shift rewrite: each selected layer gets a graph input
// `delta/<layer>` [k] and W is replaced, for every node that reads it, by
//   W_δ = W + reshape(U · diag(ReLU(σ + s·δ) − σ) · Vᵀ)
// built in the graph from U, σ, V initializers (stored once; W stays as it was); for layers
// whose factors stay in the SVD cache file, by U · diag(ReLU(σ + s·δ)) · Vᵀ (see shiftedWeight).
// The added term is exactly 0 at δ = 0 (ReLU(σ) − σ = 0 for σ ≥ 0), so W_δ = W bit for bit, and the
// gradient w.r.t. δ flows through standard ops (Mul, Add, Relu, Sub, Gemm, Reshape) that
// server/onnx's autodiff differentiates.
import { cloneModelTree, DataType, GraphBuilder, type ModelProto } from '../onnx/index.ts';
import type { SpectralPart } from './layers.ts';
import type { SvdLayer, SvdValue } from './svd-model.ts';

export interface TrainRewriteOptions {
  /** s in W_δ (a constant of the graph). Default 1. */
  scale?: number;
  /** Names of the δ inputs: `${prefix}${layer}`. Default 'delta/'. */
  prefix?: string;
  /** Only these layers (default: every layer of the SVD value in this part). */
  layers?: Iterable<string>;
}

export interface SpectralTrainGraph {
  model: ModelProto;
  /** Layer name → δ input name (float32 [k]). */
  deltaInputs: Map<string, string>;
  /** Layer name → W_δ (`wd`, in the weight's type) and the tensors it is built from (factorize-train.ts may apply them to activations instead). */
  factors: Map<string, ShiftFactors>;
}

/**
 * The tensors of one layer's W_δ, in float32: W_δ = W + U·diag(coef)·Vᵀ (coef = ReLU(σ + s·δ) − σ),
 * or, where W left the graph (`weight` absent), U·diag(coef)·Vᵀ with coef = ReLU(σ + s·δ).
 * U is rows×k, V cols×k, `wd` has the layer's shape.
 */
export interface ShiftFactors {
  layer: string;
  wd: string;
  U: string;
  V: string;
  coef: string;
  /** The original weight, as float32 (absent for layers built from their factors alone). */
  weight?: string;
  rows: number;
  cols: number;
  k: number;
  shape: readonly number[];
}

export const DELTA_PREFIX = 'delta/';

/** Adds δ inputs and W_δ nodes for the SVD value's layers of `part` to a copy of `model`. */
export function addSpectralShifts(model: ModelProto, svd: SvdValue, part: SpectralPart, opts: TrainRewriteOptions = {}): SpectralTrainGraph {
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`spectral shift scale must be finite, got ${scale}`);
  const prefix = opts.prefix ?? DELTA_PREFIX;
  const wanted = opts.layers ? new Set(opts.layers) : undefined;
  const layers = [...svd.layers.values()].filter((l) => l.part === part && (!wanted || wanted.has(l.name)));
  if (wanted) for (const w of wanted) if (!svd.layers.has(w)) throw new Error(`layer ${w} is not in the SVD value`);

  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const b = new GraphBuilder();
  b.reserve([...inits.keys(), ...(g.input ?? []).map((v) => v.name!), ...(g.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? ''])]);
  const s = b.constant(Float32Array.of(scale), [], 'float32', 'spectral/scale');
  const deltaInputs = new Map<string, string>();
  const factors = new Map<string, ShiftFactors>();
  const rewire = new Map<string, string>();

  for (const l of layers) {
    const t = inits.get(l.initializer);
    if (!t) throw new Error(`${part}: the graph has no initializer ${l.initializer} (layer ${l.name}); was the SVD made for another model?`);
    const dims = (t.dims ?? []).map(Number);
    if (dims.join() !== l.shape.join()) throw new Error(`${part}: ${l.initializer} is [${dims}] but the SVD of layer ${l.name} is for [${l.shape}]`);
    const dt = t.dataType ?? DataType.FLOAT;
    const delta = b.input(`${prefix}${l.name}`, 'float32', [l.k]);
    const f = shiftedWeight(b, l, delta, s, dt);
    deltaInputs.set(l.name, delta);
    factors.set(l.name, f);
    rewire.set(l.initializer, f.wd);
  }
  // Every reader of W now reads W_δ (the W_δ nodes themselves still read W).
  for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => rewire.get(i) ?? i);
  // W_δ must exist before its readers: put the new nodes first (they depend only on initializers and inputs).
  g.node = [...b.nodes, ...(g.node ?? [])];
  // Weights no node reads any more (layers built from their factors alone) leave the graph.
  const read = new Set(g.node.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []).filter((t) => !rewire.has(t.name!) || read.has(t.name!)), ...b.initializers];
  g.input = [...(g.input ?? []), ...b.inputs];
  for (const o of g.output ?? []) if (rewire.has(o.name!)) throw new Error(`${part}: weight ${o.name} is a graph output; cannot shift it`);
  return { model: out, deltaInputs, factors };
}

/**
 * Nodes computing W_δ for one layer; returns its tensor name. A layer whose factors stay in the
 * SVD cache file (big models) gets W_δ = (U·diag(ReLU(σ + s·δ)))·Vᵀ from the factors alone, so
 * the graph drops W (SD 1.5: 3.9 GB not held by the training session); δ = 0 then gives W to
 * float32 rounding of the factors (~1e-6 relative) instead of bit for bit.
 */
function shiftedWeight(b: GraphBuilder, l: SvdLayer, delta: string, s: string, dataType: number): ShiftFactors {
  const base = `spectral/${l.name}`;
  const U = factor(b, l, 'U', [l.rows, l.k], `${base}/U`);
  const S = b.constant(l.S, [l.k], 'float32', `${base}/S`);
  const V = factor(b, l, 'V', [l.cols, l.k], `${base}/V`);
  const node = (op: string, inputs: string[], attrs = {}) => b.node(op, inputs, attrs, { name: `${base}/${op}` });
  const is2d = l.shape.length === 2 && l.shape[0] === l.rows && l.shape[1] === l.cols;
  const shifted = node('Relu', [node('Add', [S, node('Mul', [delta, s])])]);
  let wd: string, coef: string;
  let weight: string | undefined;
  if (l.stored) {
    coef = shifted;
    wd = node('Gemm', [node('Mul', [U, coef]), V], { transB: 1 });
  } else {
    // W + (U·diag(ReLU(σ + s·δ) − σ))·Vᵀ in one Gemm (C = W, β = 1: C + 0 = C exactly).
    weight = l.initializer;
    if (dataType !== DataType.FLOAT) weight = node('Cast', [weight], { to: DataType.FLOAT });
    const w2d = is2d ? weight : node('Reshape', [weight, b.ints([l.rows, l.cols])]);
    coef = node('Sub', [shifted, S]);
    wd = node('Gemm', [node('Mul', [U, coef]), V, w2d], { transB: 1 });
  }
  if (!is2d) wd = node('Reshape', [wd, b.ints(l.shape)]);
  const f: ShiftFactors = { layer: l.name, wd, U, V, coef, weight, rows: l.rows, cols: l.cols, k: l.k, shape: l.shape };
  if (dataType !== DataType.FLOAT) f.wd = node('Cast', [wd], { to: dataType });
  return f;
}

/**
 * U or V as an initializer: its values, or, for a layer left in the SVD cache file, a reference
 * to its bytes there, so the graph never holds them and the session reads them from the file.
 */
function factor(b: GraphBuilder, l: SvdLayer, which: 'U' | 'V', dims: number[], name: string): string {
  return l.stored ? b.externalConstant({ file: l.stored.file, ...l.stored[which] }, dims, 'float32', name) : b.constant(l[which], dims, 'float32', name);
}

/** Zero δ feeds for a training graph (δ = 0 reproduces the model). */
export function zeroDeltaFeeds(svd: SvdValue, graph: SpectralTrainGraph): Map<string, Float32Array> {
  const feeds = new Map<string, Float32Array>();
  for (const [layer, input] of graph.deltaInputs) feeds.set(input, new Float32Array(svd.layers.get(layer)!.k));
  return feeds;
}
