// Fused attention backward. For O = softmax(c·A·B)·V the batched rules each stream the N×N
// maps (P, dP, dS) through memory once per product: five passes over 4 bytes × batch × heads ×
// N². Here one Scan walks the heads and does all of them for one head while its map is still in
// cache, from the P the forward saved. Standard ONNX ops only (Scan, opset ≥ 9).
import { GraphAttr } from '../../builder.ts';
import { DataType, type NodeProto } from '../../proto.ts';
import type { Emitter } from '../emitter.ts';
import { shiftFactors } from '../rules/norm.ts';

/**
 * Fewest elements of one head's map (256 KiB of float32) for the fused path to pay on CPU. On
 * the bench UNet, fusing its 256² maps as well as its 1024² ones gained 1.5 %; its 1024×16
 * cross-attention maps ran slower fused (the loop's per-head overhead outweighs a map that
 * small, which fits in cache batched anyway).
 */
export const MIN_HEAD_MAP = 256 * 256;

export interface AttentionMatch {
  /** The forward nodes whose backward this replaces: O = P·V, the softmax, the scalings, QK = A·B. */
  nodes: NodeProto[];
  a: string; b: string; v: string; p: string; o: string;
  scale: number;
}

/**
 * Recognises O = MatMul(Softmax(c · MatMul(A, B)), V), where c gathers scalar constant factors
 * (Mul or Div) on the scores and on either operand — torch exports scaled_dot_product_attention
 * as q·√s and kᵀ·√s — each intermediate read only by the next node, softmax over the last axis,
 * float32, and A, B, P, V of one rank with the same batch dims (no broadcasting). Taking the
 * operand factors in keeps their products unread by the backward, so ORT can still fold them
 * into the forward MatMul.
 */
export function matchAttention(pv: NodeProto, e: Emitter, producer: (t: string) => NodeProto | undefined, consumers: (t: string) => NodeProto[], minHeadMap = MIN_HEAD_MAP): AttentionMatch | null {
  if (pv.opType !== 'MatMul' || pv.domain) return null;
  const [p, v] = pv.input ?? [];
  const o = pv.output![0];
  const only = (t: string, n: NodeProto) => { const c = consumers(t); return c.length === 1 && c[0] === n; };
  const nodes = [pv];
  let scale = 1;
  /** The tensor t scales, through any chain of x·c and x/c each read only by the next. */
  const unscaled = (t: string, reader: NodeProto): { t: string; reader: NodeProto } => {
    const n = producer(t);
    if (!n || (n.opType !== 'Mul' && n.opType !== 'Div') || n.domain || !only(t, reader)) return { t, reader };
    const [x, y] = n.input!;
    const cy = e.constant(y), cx = n.opType === 'Mul' ? e.constant(x) : undefined;
    if (cy === undefined && cx === undefined) return { t, reader };
    scale *= n.opType === 'Div' ? 1 / cy! : (cy ?? cx)!;
    nodes.push(n);
    return unscaled(cy !== undefined ? x : y, n);
  };
  const softmax = producer(p);
  if (!softmax || softmax.opType !== 'Softmax' || softmax.domain || p === v || !only(p, pv)) return null;
  const rank = e.shape(p).length;
  const axis = softmax.attribute?.find((x) => x.name === 'axis')?.i ?? -1;
  if (rank < 3 || (axis !== -1 && axis !== rank - 1) || !only(softmax.input![0], softmax)) return null;
  nodes.push(softmax);
  const scores = unscaled(softmax.input![0], softmax);
  const qk = producer(scores.t);
  if (!qk || qk.opType !== 'MatMul' || qk.domain || !only(scores.t, scores.reader)) return null;
  nodes.push(qk);
  const a = unscaled(qk.input![0], qk).t, b = unscaled(qk.input![1], qk).t;
  if (a === b) return null;
  const shapes = [a, b, p, v].map((t) => e.shape(t));
  if (shapes.some((d) => d.length !== rank) || ![a, b, p, v, o].every((t) => e.dtype(t) === DataType.FLOAT)) return null;
  const batch = shapes[2].slice(0, -2).join();
  if (shapes.some((d) => d.slice(0, -2).join() !== batch)) return null;
  const [sq, sk] = shapes[2].slice(-2);
  if (sq * sk < minHeadMap) return null;
  return { nodes, a, b, v, p, o, scale };
}

/**
 * Gradients of A, B and V (where asked for) given dO, the gradient of O. `maps`: 'keep' reads the
 * P the forward saved; 'recompute' rebuilds each head's P_h = softmax(c·A_h·B_h) inside the loop
 * from A and B (which the backward reads anyway), so that no backward node reads the forward's
 * P and ORT frees it right after O = P·V: the backward then holds one head's map at a time
 * instead of every attention's batch × heads × N² map from forward to backward.
 */
export function attentionBackward(e: Emitter, m: AttentionMatch, dO: string, needs: { a: boolean; b: boolean; v: boolean }, maps: 'keep' | 'recompute' = 'keep'): { a?: string; b?: string; v?: string } {
  const [sa, sb, sp, sv] = [m.a, m.b, m.p, m.v].map((t) => e.shape(t));
  const r = sp.length;
  const batch = sp.slice(0, -2);
  const n = batch.reduce((x, y) => x * y, 1);
  const [sq, sk] = sp.slice(-2), d = sa[r - 1], dv = sv[r - 1];
  const swap = [...batch.map((_, i) => i), r - 1, r - 2];
  const flat = (t: string) => { const s = e.shape(t); return e.reshape(t, [n, ...s.slice(-2)]); };

  const body = e.b.subgraph('attention_backward');
  const ins: string[] = [];
  const arg = (outer: string, dims: number[]) => { ins.push(flat(outer)); return body.freshInput('head', 'float32', dims); };
  const outs: { key: 'a' | 'b' | 'v'; name: string; dims: number[] }[] = [];
  const scaleIn = (t: string) => (m.scale === 1 ? t : body.node('Mul', [t, body.scalar(m.scale)]));
  const ret = (key: 'a' | 'b' | 'v', t: string, dims: number[]) => outs.push({ key, name: body.node('Identity', [t]), dims });

  // This head's P: saved by the forward, or recomputed as softmax((c·A_h)·B_h) (c applied to the
  // small A_h; the forward rounds its factors differently, so P agrees to a few ulp). The Scan
  // runs only once dO exists, so ORT cannot hoist the recomputation into the forward.
  const pi = maps === 'recompute'
    ? body.node('Softmax', [body.node('MatMul', [scaleIn(arg(m.a, [sq, d])), arg(m.b, [d, sk])])], { axis: -1 })
    : arg(m.p, [sq, sk]);
  // dVᵀ = dOᵀ · P: P as the right operand, untransposed (MLAS transposing a 1024² P as the left
  // operand cost twice as much); the small dVᵀ is turned round outside the loop. First, while
  // this head's P is fresh in cache.
  if (needs.v) ret('v', body.node('MatMul', [arg(e.transpose(dO, swap), [dv, sq]), pi]), [dv, sk]);
  if (needs.a || needs.b) {
    // dS = P ⊙ (dP − r), r = rowsum(dO ⊙ O), with dP − r from one product (see shiftFactors).
    const f = shiftFactors(e, dO, e.reduceSum(e.mul(dO, m.o), [-1], true), m.v);
    const ds = body.node('Mul', [pi, body.node('MatMul', [arg(f.lhs, [sq, dv + 1]), arg(f.rhsT, [dv + 1, sk])])]);
    if (needs.a) ret('a', body.node('MatMul', [ds, arg(e.transpose(m.b, swap), [sk, d])]), [sq, d]);
    if (needs.b) ret('b', body.node('MatMul', [arg(e.transpose(m.a, swap), [d, sq]), ds]), [d, sk]);
  }
  for (const o of outs) body.output(o.name, 'float32', o.dims);

  const res = e.opMulti('Scan', ins, { num_scan_inputs: ins.length, body: new GraphAttr(body.toModel().graph!) },
    outs.map((o) => ({ dims: [n, ...o.dims], dataType: DataType.FLOAT })), 'attention_backward');
  const grads: { a?: string; b?: string; v?: string } = {};
  outs.forEach((o, i) => {
    if (o.key === 'v') grads.v = e.transpose(e.reshape(res[i], [...batch, dv, sk]), swap);
    else grads[o.key] = e.scaleBy(e.reshape(res[i], o.key === 'a' ? sa : sb), m.scale);
  });
  return grads;
}
