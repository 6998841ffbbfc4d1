// Reverse-mode autodiff over an ONNX graph, emitting standard ONNX ops: the result runs
// forward and backward as one inference session, outputs = original outputs + grad/<name>.
import { makeValueInfo } from '../builder.ts';
import { cloneModelTree } from '../io.ts';
import { modelOpset } from '../opset.ts';
import type { ModelProto, NodeProto, TensorProto } from '../proto.ts';
import type { Device } from '../session.ts';
import { probeShapes, type ShapeMap } from '../shapes.ts';
import { isFloatType, numel, tensorToNumbers } from '../tensor.ts';
import type ort from 'onnxruntime-node';
import { Emitter } from './emitter.ts';
import { attentionBackward, matchAttention, MIN_HEAD_MAP } from './fused/attention.ts';
import { GradientError } from './rule.ts';
import { rules } from './rules/index.ts';

export interface DifferentiateOptions {
  /** Name of the tensor to differentiate (any shape: its gradient is seeded with ones). */
  loss: string;
  /** Initializers or graph inputs to get gradients for. */
  wrt: string[];
  /** Concrete shapes for inputs with free dims (used to probe static shapes). */
  inputShapes?: Record<string, readonly number[]>;
  /** Feeds for the shape probe, when a shape depends on input values. */
  feeds?: Record<string, ort.Tensor>;
  /** Pre-computed static shapes (skips the probe). */
  shapes?: ShapeMap;
  /** Prefix of gradient outputs. Default 'grad/'. */
  prefix?: string;
  /**
   * Attention backward (O = softmax(c·A·B)·V): 'fused' walks the heads in one Scan while each
   * head's N×N map is in cache; 'batched' keeps the per-op rules, one batched op per product
   * (what GPUs want: one big kernel each, no per-head loop); 'auto' (default) fuses where one
   * head's map is at least MIN_HEAD_MAP elements, where it is faster on CPU.
   */
  attention?: 'auto' | 'fused' | 'batched';
  /**
   * Where the fused attention backward gets each head's probability map P. 'recompute'
   * (default) rebuilds P_h = softmax(c·A_h·B_h) per head inside the backward's loop from A and B
   * (which it reads anyway), so no backward node reads the forward's P and ORT frees it right
   * after O = P·V; 'keep' reads the P the forward saved, so every fused attention's
   * batch × heads × N² floats stay alive from forward to backward. Measured (bench/attention-maps.ts,
   * 2-core CPU): the bench UNet's peak RSS 6.8 → 4.3 GiB at +0–5 % CPU per step; three SD 1.5
   * 4096-token blocks at batch 2, 7.4 → 3.3 GiB at +16–19 % (one more head matmul and softmax
   * each). The batched path (attention 'batched' — what GPUs get — and maps below the 'auto'
   * threshold) always keeps P.
   */
  attentionMaps?: 'keep' | 'recompute';
}

/**
 * The attention backward that suits a device: fused on CPU; batched elsewhere, 'auto' included
 * (it may resolve to a GPU).
 */
export function attentionFor(device: Device): NonNullable<DifferentiateOptions['attention']> {
  return device === 'cpu' ? 'auto' : 'batched';
}

export async function differentiate(model: ModelProto, opts: DifferentiateOptions): Promise<ModelProto> {
  const shapes = new Map(opts.shapes ?? (await probeShapes(model, opts.inputShapes ?? {}, { feeds: opts.feeds })));
  return differentiateWithShapes(model, opts, shapes);
}

export function differentiateWithShapes(model: ModelProto, opts: DifferentiateOptions, shapes: ShapeMap): ModelProto {
  const prefix = opts.prefix ?? 'grad/';
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const nodes = g.node ?? [];
  const opset = modelOpset(out);
  if (opset < 13) throw new Error(`autodiff needs opset >= 13 (model has ${opset})`);
  const known = new Set<string>([...(g.input ?? []).map((v) => v.name!), ...(g.initializer ?? []).map((t) => t.name!)]);
  for (const n of nodes) for (const o of n.output ?? []) known.add(o);
  const taken = new Set(known);
  for (const n of nodes) if (n.name) taken.add(n.name);
  for (const w of opts.wrt) if (!known.has(w)) throw new Error(`autodiff: '${w}' is not a tensor of the graph`);
  if (!known.has(opts.loss)) throw new Error(`autodiff: loss '${opts.loss}' is not a tensor of the graph`);
  const isFloat = (t: string) => isFloatType(shapes.get(t)?.dataType ?? 0);

  // Forward: tensors that depend (through float paths) on a wrt tensor.
  const dependent = new Set(opts.wrt.filter(isFloat));
  for (const n of nodes) {
    if ((n.input ?? []).some((i) => i && dependent.has(i))) for (const o of n.output ?? []) if (o && isFloat(o)) dependent.add(o);
  }
  // Backward: tensors the loss depends on.
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const leads = new Set<string>([opts.loss]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if ((n.output ?? []).some((o) => o && leads.has(o))) for (const i of n.input ?? []) if (i) leads.add(i);
  }
  const relevant = (t: string) => !!t && dependent.has(t) && leads.has(t);
  const consumerMap = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) { const l = consumerMap.get(i); if (l) l.push(n); else consumerMap.set(i, [n]); }
  const consumers = (t: string) => consumerMap.get(t) ?? [];

  const e = new Emitter(opset, shapes, taken);
  collectConstants(out, e.floatValues);
  const contributions = new Map<string, string[]>();
  const addGrad = (t: string, gname: string) => {
    const l = contributions.get(t);
    if (l) l.push(gname); else contributions.set(t, [gname]);
  };
  const gradOf = (t: string): string | null => {
    const l = contributions.get(t);
    if (!l || l.length === 0) return null;
    const s = e.sum(l);
    contributions.set(t, [s]);
    return s;
  };

  if (relevant(opts.loss)) {
    const dims = e.shape(opts.loss);
    addGrad(opts.loss, dims.length === 0 ? e.scalar(1, opts.loss) : e.expand(e.scalar(1, opts.loss), dims));
  }
  const fused = new Set<NodeProto>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const outs = node.output ?? [];
    if (fused.has(node) || !outs.some(relevant)) continue;
    const inputs = node.input ?? [];
    const needs = inputs.map((i) => relevant(i));
    if (!needs.some(Boolean)) continue;
    const gradOut = outs.map((o) => (relevant(o) ? gradOf(o) : null));
    if (gradOut.every((x) => x === null)) continue;
    const att = opts.attention !== 'batched' && gradOut[0]
      ? matchAttention(node, e, (t) => producer.get(t), consumers, opts.attention === 'fused' ? 1 : MIN_HEAD_MAP) : null;
    if (att) {
      const g = attentionBackward(e, att, gradOut[0]!, { a: relevant(att.a), b: relevant(att.b), v: relevant(att.v) }, opts.attentionMaps ?? 'recompute');
      for (const t of ['a', 'b', 'v'] as const) if (g[t]) addGrad(att[t], g[t]!);
      for (const n of att.nodes) fused.add(n);
      continue;
    }
    const rule = rules[node.opType ?? ''];
    if (!rule || (node.domain && node.domain !== 'ai.onnx')) throw new GradientError(node, `no gradient rule for ${node.domain ? node.domain + '.' : ''}${node.opType}`);
    const grads = rule({ node, e, inputs: [...inputs], outputs: [...outs], gradOut, needs, consumers, producer: (t) => producer.get(t), gradOf: (t) => (relevant(t) ? gradOf(t) : null) });
    inputs.forEach((inp, i) => {
      const gi = grads[i];
      if (needs[i] && gi) {
        const want = e.shape(inp);
        const have = e.shape(gi);
        if (!sameShape(want, have)) throw new GradientError(node, `rule produced gradient of shape [${have}] for input '${inp}' of shape [${want}]`);
        addGrad(inp, gi);
      }
    });
  }

  const gradOutputs: string[] = [];
  for (const w of opts.wrt) {
    const name = `${prefix}${w}`;
    const dims = shapes.get(w)?.dims;
    if (!dims) throw new Error(`autodiff: no shape for '${w}'`);
    const gsum = relevant(w) ? gradOf(w) : null;
    const src = gsum ?? e.zeros(dims, w);
    e.b.node('Identity', [src], {}, { output: name });
    gradOutputs.push(name);
    g.output = [...(g.output ?? []), makeValueInfo(name, shapes.get(w)!.dataType, dims)];
  }
  const emitted = pruneBackward(e.b.nodes, new Set([...gradOutputs]));
  g.node = [...nodes, ...emitted];
  const used = new Set(emitted.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []), ...e.b.initializers.filter((t) => used.has(t.name!))];
  return out;
}

/** Drops emitted nodes the requested gradients do not need. */
function pruneBackward(emitted: NodeProto[], roots: Set<string>): NodeProto[] {
  const needed = new Set(roots);
  const keep: boolean[] = new Array(emitted.length).fill(false);
  for (let k = emitted.length - 1; k >= 0; k--) {
    const n = emitted[k];
    if ((n.output ?? []).some((o) => needed.has(o))) {
      keep[k] = true;
      for (const i of n.input ?? []) if (i) needed.add(i);
    }
  }
  return emitted.filter((_, k) => keep[k]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function collectConstants(model: ModelProto, into: Map<string, number[]>): void {
  const g = model.graph!;
  const small = (t: TensorProto) => numel(t.dims ?? []) <= 64 && t.dataLocation !== 1;
  for (const t of g.initializer ?? []) if (small(t)) into.set(t.name!, tensorToNumbers(t));
  for (const n of g.node ?? []) {
    if (n.opType !== 'Constant' || n.domain) continue;
    for (const a of n.attribute ?? []) {
      if (a.name === 'value' && a.t && small(a.t)) into.set(n.output![0], tensorToNumbers(a.t));
      if (a.name === 'value_float' && a.f !== undefined) into.set(n.output![0], [a.f]);
      if (a.name === 'value_floats' && a.floats) into.set(n.output![0], [...a.floats]);
      if (a.name === 'value_int' && a.i !== undefined) into.set(n.output![0], [a.i]);
    }
  }
}
