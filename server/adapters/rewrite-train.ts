// Training form of adapters: each adapted layer gets two graph inputs, `adapter/<layer>/up`
// [out, r] and `adapter/<layer>/down` [r, in], and every reader of W reads
//   W' = W + (alpha/r) · up · down      (one Gemm with C = W; transposed for [in, out] weights)
// reshaped to W's dims for a conv. W itself never changes; the gradient reaches up and down
// through Gemm, Reshape and Cast, which server/onnx's autodiff differentiates.
import { cloneModelTree, DataType, GraphBuilder, type ModelProto } from '../onnx/index.ts';
import type { AdapterTarget } from './layers.ts';

export const ADAPTER_PREFIX = 'adapter/';

export interface AdapterTrainGraph {
  model: ModelProto;
  /** `<layer>/up` and `<layer>/down` → graph input name. */
  inputs: Map<string, string>;
  /** Dims of each input, by the same keys. */
  dims: Map<string, readonly number[]>;
}

export interface AdapterRewriteOptions {
  rank: number;
  alpha: number;
}

export function addAdapters(model: ModelProto, targets: readonly AdapterTarget[], o: AdapterRewriteOptions): AdapterTrainGraph {
  if (!(Number.isInteger(o.rank) && o.rank >= 1)) throw new Error(`adapter rank must be a positive integer, got ${o.rank}`);
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const b = new GraphBuilder();
  b.reserve([...inits.keys(), ...(g.input ?? []).map((v) => v.name!), ...(g.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? ''])]);
  const inputs = new Map<string, string>();
  const dims = new Map<string, readonly number[]>();
  const rewire = new Map<string, string>();
  const r = o.rank;
  for (const t of targets) {
    const init = inits.get(t.initializer);
    if (!init) throw new Error(`the graph has no initializer ${t.initializer} (layer ${t.name})`);
    const base = `${ADAPTER_PREFIX}${t.name}`;
    const up = b.input(`${base}/up`, 'float32', [t.out, r]);
    const down = b.input(`${base}/down`, 'float32', [r, t.in]);
    inputs.set(`${t.name}/up`, up).set(`${t.name}/down`, down);
    dims.set(`${t.name}/up`, [t.out, r]).set(`${t.name}/down`, [r, t.in]);
    const node = (op: string, ins: string[], attrs = {}) => b.node(op, ins, attrs, { name: `${base}/${op}` });
    const dt = init.dataType ?? DataType.FLOAT;
    let w = t.initializer;
    if (dt !== DataType.FLOAT) w = node('Cast', [w], { to: DataType.FLOAT });
    const rows = t.inputMajor ? t.in : t.out;
    const cols = t.inputMajor ? t.out : t.in;
    const is2d = t.shape.length === 2;
    const w2d = is2d ? w : node('Reshape', [w, b.ints([rows, cols])]);
    // Stored [out, in]: up · down; stored [in, out]: (up · down)ᵀ = downᵀ · upᵀ.
    let wd = t.inputMajor
      ? node('Gemm', [down, up, w2d], { transA: 1, transB: 1, alpha: o.alpha / r })
      : node('Gemm', [up, down, w2d], { alpha: o.alpha / r });
    if (!is2d) wd = node('Reshape', [wd, b.ints([...t.shape])]);
    if (dt !== DataType.FLOAT) wd = node('Cast', [wd], { to: dt });
    rewire.set(t.initializer, wd);
  }
  for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => rewire.get(i) ?? i);
  g.node = [...b.nodes, ...(g.node ?? [])];
  g.initializer = [...(g.initializer ?? []), ...b.initializers];
  g.input = [...(g.input ?? []), ...b.inputs];
  return { model: out, inputs, dims };
}
