// Building blocks in the ops torch.onnx.export emits for diffusers/transformers modules, with
// initializers named by module path (`down_blocks.0.resnets.0.conv1.weight`), so the spectral
// layer finder and reference-key mapping see the same names as on an exported SD model.
import type { GraphBuilder } from '../../server/onnx/index.ts';
import type { ParamFactory } from './params.ts';

export interface Ctx {
  g: GraphBuilder;
  p: ParamFactory;
}

/** x [.., in] · W [in, out] + b: a Linear as torch exports it (MatMul with the transposed weight). */
export function linear({ g, p }: Ctx, x: string, name: string, inDim: number, outDim: number, bias = true, gain = 1): string {
  const w = p.normal(`${name}.weight`, [inDim, outDim], inDim, gain);
  const y = g.node('MatMul', [x, w], {}, { name: `${name}/MatMul` });
  return bias ? g.node('Add', [y, p.fill(`${name}.bias`, [outDim], 0)], {}, { name: `${name}/Add` }) : y;
}

export function conv({ g, p }: Ctx, x: string, name: string, cin: number, cout: number, k: number, stride = 1, gain = 1): string {
  const w = p.normal(`${name}.weight`, [cout, cin, k, k], cin * k * k, gain);
  const b = p.fill(`${name}.bias`, [cout], 0);
  const pad = (k - 1) >> 1;
  return g.node('Conv', [x, w, b], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] }, { name: `${name}/Conv` });
}

export function silu({ g }: Ctx, x: string): string {
  return g.node('Mul', [x, g.node('Sigmoid', [x])]);
}

/** GELU (erf form), as torch exports nn.GELU at opsets below 20. */
export function gelu({ g }: Ctx, x: string): string {
  const e = g.node('Erf', [g.node('Div', [x, g.scalar(Math.SQRT2)])]);
  return g.node('Mul', [g.node('Mul', [x, g.node('Add', [e, g.scalar(1)])]), g.scalar(0.5)]);
}

/**
 * GroupNorm the way torch exports it: reshape to [B, G, -1], InstanceNormalization, reshape
 * back, then a per-channel affine from 1-D `weight`/`bias` (the spectral code gives such 1-D
 * norm scales a scalar shift).
 */
export function groupNorm({ g, p }: Ctx, x: string, name: string, channels: number, groups: number, eps = 1e-5): string {
  const shape = g.node('Shape', [x]);
  const grouped = g.node('Reshape', [x, g.ints([0, groups, -1])]);
  const normed = g.node('InstanceNormalization', [grouped, g.constant(new Float32Array(groups).fill(1), [groups]), g.constant(new Float32Array(groups), [groups])], { epsilon: eps });
  const back = g.node('Reshape', [normed, shape]);
  const axes = g.ints([1, 2]);
  const w = g.node('Unsqueeze', [p.fill(`${name}.weight`, [channels], 1), axes]);
  const b = g.node('Unsqueeze', [p.fill(`${name}.bias`, [channels], 0), axes]);
  return g.node('Add', [g.node('Mul', [back, w]), b], {}, { name: `${name}/Affine` });
}

export function layerNorm({ g, p }: Ctx, x: string, name: string, dim: number, eps = 1e-5): string {
  return g.node('LayerNormalization', [x, p.fill(`${name}.weight`, [dim], 1), p.fill(`${name}.bias`, [dim], 0)], { axis: -1, epsilon: eps }, { name: `${name}/LayerNorm` });
}

/** [B, N, H·d] → [B, H, N, d] */
function heads({ g }: Ctx, x: string, h: number, d: number): string {
  return g.node('Transpose', [g.node('Reshape', [x, g.ints([0, 0, h, d])])], { perm: [0, 2, 1, 3] });
}

/**
 * Multi-head attention of diffusers' Attention (to_q/to_k/to_v without bias, to_out.0 with
 * bias). `context` = undefined → self-attention. `mask` is added to the scores (causal text).
 */
export function attention(c: Ctx, x: string, name: string, dim: number, nHeads: number, context?: { name: string; dim: number }, mask?: string): string {
  const { g } = c;
  const d = dim / nHeads;
  const src = context?.name ?? x;
  const srcDim = context?.dim ?? dim;
  const q = heads(c, linear(c, x, `${name}.to_q`, dim, dim, false), nHeads, d);
  const k = heads(c, linear(c, src, `${name}.to_k`, srcDim, dim, false), nHeads, d);
  const v = heads(c, linear(c, src, `${name}.to_v`, srcDim, dim, false), nHeads, d);
  const kt = g.node('Transpose', [k], { perm: [0, 1, 3, 2] });
  let scores = g.node('Mul', [g.node('MatMul', [q, kt]), g.scalar(1 / Math.sqrt(d))], {}, { name: `${name}/scores` });
  if (mask) scores = g.node('Add', [scores, mask]);
  const probs = g.node('Softmax', [scores], { axis: -1 }, { name: `${name}/probs` });
  const out = g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  const merged = g.node('Reshape', [out, g.ints([0, 0, dim])]);
  return linear(c, merged, `${name}.to_out.0`, dim, dim);
}
