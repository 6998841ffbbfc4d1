// Spectral shifts applied to activations instead of weights, where that is cheaper. The training
// rewrite builds W_δ = U·diag(c)·Vᵀ (+ W) every run and its gradient needs dW = xᵀ·g first:
// 2·m·n·k + 3·T·m·n multiply-adds for a layer of m×n with k singular values over T rows (tokens,
// or output pixels of a conv). Applied to the activations, x·W_δ = ((x·U)·diag(c))·Vᵀ costs
// 2·T·k·(m + n) for the forward and the input gradient, and the δ gradient is a sum over T of
// (x·U) ⊙ (g·V) — no weight-sized tensor at all. SD 1.5's 1280-channel layers at 8×8 and 16×16
// latent cells and the text encoder's 77 tokens are 5–20× cheaper this way; its 64×64 layers
// are not, and keep W_δ. Readers handled: MatMul(x, W_δ) and Conv(x, W_δ[, b]) with group 1.
import { DataType, GraphBuilder, numel, readTensorBytes, tensorToNumbers, type ModelProto, type NodeProto, type ShapeMap, type TensorProto } from '../onnx/index.ts';
import type { ShiftFactors } from './rewrite-train.ts';

/** Multiply-adds of one training run (forward + backward into δ) of a layer, each way. */
export function shiftCosts(f: Pick<ShiftFactors, 'rows' | 'cols' | 'k' | 'weight'>, tokens: number): { weight: number; activations: number } {
  const { rows: m, cols: n, k } = f;
  const dense = f.weight ? 2 * tokens * m * n : 0;
  return { weight: 2 * m * n * k + 3 * tokens * m * n, activations: dense + 2 * tokens * k * (m + n) };
}

export interface FactorizeResult {
  model: ModelProto;
  /** Layers now applied to activations. */
  layers: string[];
}

/**
 * Rewrites the readers of each layer's W_δ as products with its factors where shiftCosts says
 * so (`shapes`: the graph's probed shapes, which gain the new tensors'); W_δ nodes left without
 * readers leave the graph.
 */
export function factorizeShifts(model: ModelProto, factors: Iterable<ShiftFactors>, shapes: ShapeMap): FactorizeResult {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      if (!i) continue;
      const r = readers.get(i);
      if (r) r.push(n);
      else readers.set(i, [n]);
    }
  }
  const outputs = new Set((g.output ?? []).map((o) => o.name!));
  const b = new GraphBuilder();
  b.reserve([...(g.initializer ?? []).map((t) => t.name!), ...(g.input ?? []).map((v) => v.name!), ...nodes.flatMap((n) => [...(n.output ?? []), n.name ?? ''])]);
  const replaced = new Map<NodeProto, NodeProto[]>();
  const done: string[] = [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));

  for (const f of factors) {
    const users = readers.get(f.wd) ?? [];
    if (users.length === 0 || outputs.has(f.wd)) continue;
    const plans = users.map((n) => plan(n, f, shapes));
    if (plans.some((p) => p === undefined)) continue;
    const tokens = plans.reduce((a, p) => a + p!.tokens, 0);
    const cost = shiftCosts(f, tokens);
    if (cost.activations >= cost.weight) continue;
    users.forEach((n, i) => replaced.set(n, emit(b, n, f, plans[i]!, shapes, inits)));
    done.push(f.layer);
  }
  if (done.length === 0) return { model, layers: [] };

  let out = nodes.flatMap((n) => replaced.get(n) ?? [n]);
  // The new nodes read factors and coefficients made by the W_δ nodes, which come first.
  out = prune(out, outputs);
  const read = readNames(out);
  // The Reshape targets' values too (the autodiff reads shape constants); the weights' shapes only.
  for (const t of b.initializers) shapes.set(t.name!, { dims: t.dims!.map(Number), dataType: t.dataType!, ...(t.dataType === DataType.INT64 ? { value: tensorToNumbers(t) } : {}) });
  return {
    model: { ...model, graph: { ...g, node: out, initializer: [...(g.initializer ?? []).filter((t) => read.has(t.name!) || outputs.has(t.name!)), ...b.initializers] } },
    layers: done,
  };
}

interface Plan {
  tokens: number;
  x: number[];
  y: number[];
}

/** How a reader of W_δ would be rewritten, or undefined if it is not one this handles. */
function plan(n: NodeProto, f: ShiftFactors, shapes: ShapeMap): Plan | undefined {
  const [x, w] = n.input ?? [];
  if (w !== f.wd || (n.input ?? []).filter((i) => i === f.wd).length !== 1) return undefined;
  const xi = shapes.get(x), yi = shapes.get(n.output![0]);
  if (!xi || !yi || xi.dataType !== DataType.FLOAT) return undefined;
  if (n.opType === 'MatMul') {
    if (f.shape.length !== 2 || xi.dims.at(-1) !== f.rows || yi.dims.at(-1) !== f.cols) return undefined;
    return { tokens: numel(xi.dims) / f.rows, x: xi.dims, y: yi.dims };
  }
  if (n.opType === 'Conv') {
    const group = attr(n, 'group') ?? 1;
    if (group !== 1 || f.shape.length < 3 || yi.dims.length !== f.shape.length || yi.dims[1] !== f.rows) return undefined;
    return { tokens: numel(yi.dims) / f.rows, x: xi.dims, y: yi.dims };
  }
  return undefined;
}

/** The nodes replacing reader `n` (its output keeps its name). */
function emit(b: GraphBuilder, n: NodeProto, f: ShiftFactors, p: Plan, shapes: ShapeMap, inits: ReadonlyMap<string, TensorProto>): NodeProto[] {
  const start = b.nodes.length;
  const set = (name: string, dims: number[]) => shapes.set(name, { dims, dataType: DataType.FLOAT });
  const base = n.name || f.layer;
  const node = (op: string, inputs: string[], dims: number[], attrs = {}) => {
    const o = b.node(op, inputs, attrs, { name: `${base}/shift_${op}` });
    set(o, dims);
    return o;
  };
  const y = n.output![0];
  const { rows: m, cols: cn, k } = f;
  let shifted: string;
  if (n.opType === 'MatMul') {
    // ((x·U)·diag(c))·Vᵀ, the last product as one Gemm over the rows.
    const xu = node('Mul', [node('MatMul', [n.input![0], f.U], [...p.x.slice(0, -1), k]), f.coef], [...p.x.slice(0, -1), k]);
    const T = numel(p.x) / m;
    const flat = node('Reshape', [xu, b.ints([T, k])], [T, k]);
    shifted = node('Reshape', [node('Gemm', [flat, f.V], [T, cn], { transB: 1 }), b.ints(p.y)], p.y);
  } else {
    // conv(x, Vᵀ as k kernels) · c per channel, then a 1×1 conv with U (the bias there). Both
    // weights are constants of their own, not Transpose/Reshape nodes on U and V: ORT would fold
    // those at every session open, copying the factors out of their files (SD 1.5: 2.5× the open
    // time, GiBs of memory).
    const kernel = f.shape.slice(1);
    const spatial = p.y.slice(2);
    const ones = spatial.map(() => 1);
    const vk = b.constant(transposed(inits.get(f.V)!, cn, k), [k, ...kernel], 'float32', `${base}/shift_kernels`);
    set(vk, [k, ...kernel]);
    const u = b.unique(`${base}/shift_U`);
    b.initializers.push({ ...inits.get(f.U)!, name: u, dims: [m, k, ...ones] });
    set(u, [m, k, ...ones]);
    // The reader's own strides, pads and dilations.
    const z = node('Conv', [n.input![0], vk], [p.y[0], k, ...spatial]);
    b.nodes.at(-1)!.attribute = n.attribute;
    const zc = node('Mul', [z, node('Reshape', [f.coef, b.ints([1, k, ...ones])], [1, k, ...ones])], [p.y[0], k, ...spatial]);
    const bias = f.weight ? [] : (n.input ?? []).slice(2).filter(Boolean);
    shifted = node('Conv', [zc, u, ...bias], p.y);
  }
  if (f.weight) {
    // W stays: W·x (the reader on W itself) + the shift's term.
    const weight = f.weight;
    const dense = b.node(n.opType!, (n.input ?? []).map((i) => (i === f.wd ? weight : i)), {}, { name: `${base}/shift_dense` });
    const d = b.nodes.at(-1)!;
    d.attribute = n.attribute;
    set(dense, p.y);
    shifted = node('Add', [dense, shifted], p.y);
  }
  // The last node writes the reader's output (its name was taken: renamed after the fact).
  b.nodes.at(-1)!.output = [y];
  shapes.delete(shifted);
  return b.nodes.slice(start);
}

/** A rows×cols float32 initializer's transpose (cols×rows). */
function transposed(t: TensorProto, rows: number, cols: number): Float32Array {
  const bytes = readTensorBytes(t);
  const a = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (a.length !== rows * cols) throw new Error(`${t.name}: ${a.length} values, not ${rows}×${cols}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** Names the nodes read, including inside their subgraphs (If, Loop, Scan bodies read outer names). */
function readNames(nodes: readonly NodeProto[]): Set<string> {
  const read = new Set<string>();
  const walk = (ns: readonly NodeProto[]) => {
    for (const n of ns) {
      for (const i of n.input ?? []) read.add(i);
      for (const a of n.attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) walk(sub.node ?? []);
    }
  };
  walk(nodes);
  return read;
}

/** Drops nodes none of whose outputs is read (repeatedly), keeping graph outputs' producers. */
function prune(nodes: NodeProto[], outputs: Set<string>): NodeProto[] {
  let cur = nodes;
  for (;;) {
    const read = readNames(cur);
    const next = cur.filter((n) => (n.output ?? []).some((o) => o && (read.has(o) || outputs.has(o))));
    if (next.length === cur.length) return cur;
    cur = next;
  }
}

function attr(n: NodeProto, name: string): number | undefined {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  return a ? Number(a.i ?? 0) : undefined;
}
