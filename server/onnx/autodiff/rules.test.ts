// Finite-difference checks for every gradient rule on small random shapes.
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../builder.ts';
import { float } from '../builder.ts';
import { gradCheck, type GradInput, type GradCheckOptions } from './gradcheck.ts';

interface Case { name: string; build: (b: GraphBuilder) => string; inputs: Record<string, GradInput>; opts?: GradCheckOptions }
const f64 = (shape: number[], extra: Partial<GradInput> = {}): GradInput => ({ shape, dtype: 'float64', ...extra });
const f32 = (shape: number[], extra: Partial<GradInput> = {}): GradInput => ({ shape, dtype: 'float32', ...extra });
const pos = (shape: number[], dtype: 'float32' | 'float64' = 'float64'): GradInput => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, dtype, data: Array.from({ length: n }, (_, i) => 0.5 + ((i * 7919) % 13) / 7) };
};
const un = (op: string, attrs = {}) => (b: GraphBuilder) => b.node(op, ['x'], attrs);
const bin = (op: string) => (b: GraphBuilder) => b.node(op, ['a', 'b']);

const cases: Case[] = [
  // elementwise, with broadcasting both ways
  { name: 'Add broadcast', build: bin('Add'), inputs: { a: f64([2, 3, 4]), b: f64([3, 1]) } },
  { name: 'Sub broadcast', build: bin('Sub'), inputs: { a: f64([4]), b: f64([2, 3, 4]) } },
  { name: 'Mul broadcast', build: bin('Mul'), inputs: { a: f64([2, 1, 4]), b: f64([3, 1]) } },
  { name: 'Div broadcast', build: bin('Div'), inputs: { a: f64([2, 3]), b: pos([3]) } },
  { name: 'Pow tensor exponent', build: bin('Pow'), inputs: { a: pos([2, 3]), b: f64([3]) } },
  { name: 'Pow const 2', build: (b) => b.node('Pow', ['x', b.constant([2], [], 'float64')]), inputs: { x: f64([3, 4]) } },
  { name: 'Pow const 0.5', build: (b) => b.node('Pow', ['x', b.constant([0.5], [], 'float64')]), inputs: { x: pos([3, 4]) } },
  { name: 'Pow const 3', build: (b) => b.node('Pow', ['x', b.constant([3], [], 'float64')]), inputs: { x: f64([3, 4]) } },
  { name: 'Sqrt', build: un('Sqrt'), inputs: { x: pos([3, 4]) } },
  { name: 'Neg', build: un('Neg'), inputs: { x: f64([5]) } },
  { name: 'Exp', build: un('Exp'), inputs: { x: f64([2, 5]) } },
  { name: 'Log', build: un('Log'), inputs: { x: pos([2, 5]) } },
  { name: 'Erf', build: un('Erf'), inputs: { x: f32([2, 5]) } },
  { name: 'Sin', build: un('Sin'), inputs: { x: f64([2, 5]) } },
  { name: 'Cos', build: un('Cos'), inputs: { x: f64([2, 5]) } },
  { name: 'Tanh', build: un('Tanh'), inputs: { x: f64([2, 5]) } },
  { name: 'Sigmoid', build: un('Sigmoid'), inputs: { x: f64([2, 5]) } },
  { name: 'SiLU pattern x*Sigmoid(x) (and swapped)', build: (b) => b.node('Add', [b.node('Mul', ['x', b.node('Sigmoid', ['x'])]), b.node('Mul', [b.node('Sigmoid', ['z']), 'z'])]), inputs: { x: f32([3, 5]), z: f32([3, 5]) } },
  { name: 'Dropout (inference) and Floor (zero gradient)', build: (b) => b.node('Add', [b.node('Dropout', ['x']), b.node('Floor', ['x'])]), inputs: { x: f32([4, 3]) } },
  { name: 'Relu', build: un('Relu'), inputs: { x: f64([3, 7]) } },
  { name: 'LeakyRelu', build: un('LeakyRelu', { alpha: 0.1 }), inputs: { x: f64([3, 7]) } },
  { name: 'Softplus', build: un('Softplus'), inputs: { x: f32([3, 7]) } },
  { name: 'Abs', build: un('Abs'), inputs: { x: f64([3, 7]) } },
  { name: 'Reciprocal', build: un('Reciprocal'), inputs: { x: pos([3, 7]) } },
  { name: 'Gelu exact', build: un('Gelu'), inputs: { x: f32([3, 7]) }, opts: { opset: 20 } },
  { name: 'Gelu tanh', build: un('Gelu', { approximate: 'tanh' }), inputs: { x: f32([3, 7]) }, opts: { opset: 20 } },
  { name: 'Identity', build: un('Identity'), inputs: { x: f64([4]) } },
  { name: 'Cast float<->double', build: (b) => b.node('Cast', [b.node('Mul', [b.node('Cast', ['x'], { to: 11 }), b.constant([3], [], 'float64')])], { to: 1 }), inputs: { x: f32([4, 2]) } },
  { name: 'Where broadcast', build: (b) => b.node('Where', [b.constant([1, 0, 1], [3], 'bool'), 'a', 'b']), inputs: { a: f64([2, 3]), b: f64([1]) } },
  { name: 'Max/Min', build: (b) => b.node('Add', [b.node('Max', ['a', 'b']), b.node('Min', ['a', 'b'])]), inputs: { a: f64([3, 4]), b: f64([4]) } },
  { name: 'Sum/Mean variadic', build: (b) => b.node('Mul', [b.node('Sum', ['a', 'b', 'a']), b.node('Mean', ['a', 'b'])]), inputs: { a: f32([3, 4]), b: f32([1, 4]) } },
  { name: 'Clip', build: (b) => b.node('Clip', ['x', b.constant([-0.5], [], 'float64'), b.constant([0.7], [], 'float64')]), inputs: { x: f64([4, 5]) } },
  // normalisation / softmax
  { name: 'Softmax axis 1', build: un('Softmax', { axis: 1 }), inputs: { x: f64([2, 5, 3]) } },
  { name: 'Softmax axis -1', build: un('Softmax', { axis: -1 }), inputs: { x: f64([2, 3, 6]) } },
  { name: 'LogSoftmax', build: un('LogSoftmax', { axis: -2 }), inputs: { x: f64([2, 4, 3]) } },
  { name: 'LayerNormalization axis -1', build: (b) => b.node('LayerNormalization', ['x', 's', 'bias'], { axis: -1, epsilon: 1e-5 }), inputs: { x: f64([2, 3, 8]), s: f64([8]), bias: f64([8]) } },
  { name: 'LayerNormalization axis 1', build: (b) => b.node('LayerNormalization', ['x', 's', 'bias'], { axis: 1, epsilon: 1e-5 }), inputs: { x: f32([2, 3, 4]), s: f32([3, 4]), bias: f32([3, 4]) } },
  { name: 'decomposed LayerNorm', inputs: { x: f64([2, 3, 8]), s: f64([8]) }, build: (b) => {
    const m = b.node('ReduceMean', ['x', b.ints([-1])], { keepdims: 1 });
    const d = b.node('Sub', ['x', m]);
    const v = b.node('ReduceMean', [b.node('Pow', [d, b.constant([2], [], 'float64')]), b.ints([-1])], { keepdims: 1 });
    const sd = b.node('Sqrt', [b.node('Add', [v, b.constant([1e-5], [], 'float64')])]);
    return b.node('Mul', [b.node('Div', [d, sd]), 's']);
  } },
  { name: 'InstanceNormalization', build: (b) => b.node('InstanceNormalization', ['x', 's', 'bias'], { epsilon: 1e-5 }), inputs: { x: f32([2, 3, 4, 5]), s: f32([3]), bias: f32([3]) } },
  { name: 'GroupNormalization opset 18 (per-group scale)', build: (b) => b.node('GroupNormalization', ['x', 's', 'bias'], { num_groups: 3, epsilon: 1e-5 }), inputs: { x: f32([2, 6, 3, 3]), s: f32([3]), bias: f32([3]) }, opts: { opset: 18 } },
  { name: 'GroupNormalization opset 21 (per-channel scale)', build: (b) => b.node('GroupNormalization', ['x', 's', 'bias'], { num_groups: 2, epsilon: 1e-5 }), inputs: { x: f32([2, 6, 4]), s: f32([6]), bias: f32([6]) }, opts: { opset: 21 } },
  { name: 'ReduceMean opset 17 attribute, keepdims 0', build: (b) => b.node('ReduceMean', ['x'], { axes: [1, -1], keepdims: 0 }), inputs: { x: f64([2, 3, 4]) }, opts: { opset: 17 } },
  { name: 'ReduceSum axes input, all axes', build: (b) => b.node('Add', [b.node('ReduceSum', ['x', b.ints([0])], { keepdims: 1 }), b.node('ReduceSum', ['x'], { keepdims: 0 })]), inputs: { x: f64([2, 3]) } },
  { name: 'attention: scaled scores, Softmax feeding MatMul', inputs: { q: f32([2, 2, 5, 3]), k: f32([2, 2, 4, 3]), v: f32([2, 2, 4, 3]) }, build: (b) => {
    const sc = b.node('Mul', [b.node('MatMul', ['q', b.node('Transpose', ['k'], { perm: [0, 1, 3, 2] })]), b.constant([0.577], [], 'float32')]);
    return b.node('MatMul', [b.node('Softmax', [b.node('Div', [sc, b.constant([1.3], [], 'float32')])], { axis: -1 }), 'v']);
  } },
  { name: 'torch GroupNorm form (InstanceNormalization with unit constants)', inputs: { x: f32([2, 6, 3, 3]), w: f32([6, 1, 1]) }, build: (b) => {
    const r = b.node('Reshape', ['x', b.ints([2, 3, -1])]);
    const n = b.node('InstanceNormalization', [r, b.constant([1, 1, 1], [3], 'float32'), b.constant([0, 0, 0], [3], 'float32')], { epsilon: 1e-5 });
    return b.node('Mul', [b.node('Reshape', [n, b.ints([2, 6, 3, 3])]), 'w']);
  } },
  // data movement
  { name: 'Reshape/Flatten', build: (b) => b.node('Flatten', [b.node('Reshape', ['x', b.ints([3, -1, 2])])], { axis: 2 }), inputs: { x: f64([2, 3, 4]) } },
  { name: 'Transpose', build: un('Transpose', { perm: [2, 0, 1] }), inputs: { x: f64([2, 3, 4]) } },
  { name: 'Squeeze/Unsqueeze negative axes', build: (b) => b.node('Unsqueeze', [b.node('Squeeze', ['x', b.ints([-2])]), b.ints([-1, 0])]), inputs: { x: f64([3, 1, 4]) } },
  { name: 'Expand', build: (b) => b.node('Expand', ['x', b.ints([2, 3, 4])]), inputs: { x: f64([3, 1]) } },
  { name: 'Tile', build: (b) => b.node('Tile', ['x', b.ints([2, 1, 3])]), inputs: { x: f64([2, 3, 2]) } },
  { name: 'Concat axis -1', build: (b) => b.node('Concat', ['a', 'b', 'a'], { axis: -1 }), inputs: { a: f64([2, 3]), b: f64([2, 5]) } },
  { name: 'Split uneven, one output unused', build: (b) => {
    const [p, , r] = b.nodeMulti('Split', ['x', b.ints([1, 2, 3])], { axis: 1 }, { outputs: 3 });
    return b.node('Concat', [p, r], { axis: 1 });
  }, inputs: { x: f64([2, 6]) } },
  { name: 'Slice negative starts, steps 2 and -1', build: (b) => b.node('Slice', ['x', b.ints([-1, 1]), b.ints([-100, 7]), b.ints([-1, 1]), b.ints([-1, 2])]), inputs: { x: f64([2, 8, 5]) } },
  { name: 'Slice step -3 and clamped end', build: (b) => b.node('Slice', ['x', b.ints([6, 0]), b.ints([0, 1000]), b.ints([0, 1])]), inputs: { x: f64([8, 3]) } },
  { name: 'Gather axis 1, negative 2-D indices', build: (b) => b.node('Gather', ['x', b.constant([0, -1, 2, 0], [2, 2], 'int64')], { axis: 1 }), inputs: { x: f64([2, 4, 3]) } },
  { name: 'Gather scalar index axis 0 (embedding)', build: (b) => b.node('Gather', ['x', b.constant([2], [], 'int64')], { axis: 0 }), inputs: { x: f64([4, 3]) } },
  { name: 'Gather with index input', build: (b) => b.node('Gather', ['x', 'ids'], { axis: 0 }), inputs: { x: f64([5, 3]), ids: { shape: [2, 3], dtype: 'int64', data: [0, 4, 4, 1, 0, 2] } } },
  { name: 'GatherND (pooled token, negative index)', build: (b) => b.node('GatherND', ['x', b.constant([0, 3, 1, -1, 0, 3], [3, 2], 'int64')]), inputs: { x: f32([2, 4, 3]) } },
  { name: 'GatherElements axis -1, repeated indices', build: (b) => b.node('GatherElements', ['x', b.constant([0, 2, 2, -1, 1, 1], [2, 1, 3], 'int64')], { axis: -1 }), inputs: { x: f32([2, 1, 4]) } },
  { name: 'Pad constant with negative pads', build: (b) => b.node('Pad', ['x', b.ints([1, -1, 0, 2, 0, -2])]), inputs: { x: f64([3, 4, 5]) } },
  // convolution
  { name: 'Conv 2-D stride 2, asymmetric pads, groups 2, bias', build: (b) => b.node('Conv', ['x', 'w', 'bias'], { strides: [2, 2], pads: [1, 0, 2, 1], group: 2 }), inputs: { x: f32([2, 4, 7, 6]), w: f32([6, 2, 3, 3]), bias: f32([6]) } },
  { name: 'Conv dilation 2, stride 3, odd sizes', build: (b) => b.node('Conv', ['x', 'w'], { strides: [3, 1], dilations: [2, 2], pads: [2, 1, 1, 2] }), inputs: { x: f32([1, 3, 9, 8]), w: f32([2, 3, 3, 2]) } },
  { name: 'Conv stride 1, dilation 2, groups 2, asymmetric pads', build: (b) => b.node('Conv', ['x', 'w', 'bias'], { dilations: [2, 1], pads: [2, 0, 1, 1], group: 2 }), inputs: { x: f32([2, 4, 7, 6]), w: f32([4, 2, 3, 2]), bias: f32([4]) } },
  { name: 'Conv 5x5 (large-kernel weight gradient path)', build: (b) => b.node('Conv', ['x', 'w'], { pads: [2, 2, 2, 2], strides: [2, 2] }), inputs: { x: f32([2, 3, 7, 7]), w: f32([2, 3, 5, 5]) } },
  { name: 'Conv depthwise', build: (b) => b.node('Conv', ['x', 'w'], { group: 3, pads: [1, 1, 1, 1] }), inputs: { x: f32([2, 3, 5, 5]), w: f32([3, 1, 3, 3]) } },
  { name: 'Conv 1-D SAME_UPPER stride 2', build: (b) => b.node('Conv', ['x', 'w'], { auto_pad: 'SAME_UPPER', strides: [2] }), inputs: { x: f32([2, 3, 9]), w: f32([4, 3, 4]) } },
  { name: 'Conv 1x1 (initializer weight)', build: (b) => b.node('Conv', ['x', 'w']), inputs: { x: f32([2, 5, 3, 3]), w: f32([4, 5, 1, 1], { initializer: true }) } },
  { name: 'ConvTranspose stride 2, pads, output_padding, groups', build: (b) => b.node('ConvTranspose', ['x', 'w', 'bias'], { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0], group: 2 }), inputs: { x: f32([2, 4, 4, 3]), w: f32([4, 3, 3, 3]), bias: f32([6]) } },
  { name: 'ConvTranspose output_shape, dilation', build: (b) => b.node('ConvTranspose', ['x', 'w'], { strides: [2], dilations: [2], output_shape: [12] }), inputs: { x: f32([1, 2, 5]), w: f32([2, 3, 2]) } },
  // matmul family
  { name: 'MatMul batched broadcast', build: bin('MatMul'), inputs: { a: f64([2, 1, 3, 4]), b: f64([3, 4, 5]) } },
  { name: 'MatMul linear layer', build: bin('MatMul'), inputs: { a: f64([2, 3, 4]), b: f64([4, 5]) } },
  { name: 'MatMul 1-D left', build: bin('MatMul'), inputs: { a: f64([4]), b: f64([2, 4, 3]) } },
  { name: 'MatMul 1-D right', build: bin('MatMul'), inputs: { a: f64([2, 3, 4]), b: f64([4]) } },
  { name: 'Gemm transA alpha beta, C broadcast', build: (b) => b.node('Gemm', ['a', 'b', 'c'], { transA: 1, alpha: 0.7, beta: 1.3 }), inputs: { a: f64([4, 3]), b: f64([4, 5]), c: f64([5]) } },
  { name: 'Gemm transB', build: (b) => b.node('Gemm', ['a', 'b', 'c'], { transB: 1 }), inputs: { a: f64([3, 4]), b: f64([5, 4]), c: f64([1]) } },
  { name: 'Gemm transA transB', build: (b) => b.node('Gemm', ['a', 'b'], { transA: 1, transB: 1, alpha: 2 }), inputs: { a: f64([4, 3]), b: f64([5, 4]) } },
  { name: 'Einsum attention scores', build: (b) => b.node('Einsum', ['q', 'k'], { equation: 'bid,bjd->bij' }), inputs: { q: f32([2, 3, 4]), k: f32([2, 5, 4]) } },
  { name: 'Einsum attention values', build: (b) => b.node('Einsum', ['p', 'v'], { equation: 'b h i j, b h j d -> b h i d' }), inputs: { p: f32([2, 2, 3, 5]), v: f32([2, 2, 5, 4]) } },
  { name: 'Einsum with summed-away index and ellipsis', build: (b) => b.node('Einsum', ['a', 'b'], { equation: '...ij,jk->...i' }), inputs: { a: f32([2, 3, 4]), b: f32([4, 5]) } },
  // resize
  { name: 'Resize nearest 2x (asymmetric, floor)', build: (b) => b.node('Resize', ['x', '', b.constant([1, 1, 2, 2], [4], 'float32')], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }), inputs: { x: f32([2, 3, 4, 5]) } },
  { name: 'Resize nearest to odd sizes', build: (b) => b.node('Resize', ['x', '', '', b.ints([2, 3, 7, 4])], { mode: 'nearest' }), inputs: { x: f32([2, 3, 4, 5]) } },
  { name: 'Resize linear 2x half_pixel', build: (b) => b.node('Resize', ['x', '', b.constant([1, 1, 2, 2], [4], 'float32')], { mode: 'linear' }), inputs: { x: f32([1, 2, 4, 3]) } },
  { name: 'Resize linear align_corners to sizes', build: (b) => b.node('Resize', ['x', '', '', b.ints([1, 2, 7, 2])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }), inputs: { x: f32([1, 2, 4, 3]) } },
];

describe('gradient rules (finite differences)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await gradCheck(c.build, c.inputs, c.opts);
      for (const ch of r.checks) expect(ch, `${c.name}: d/d${ch.input}`).toMatchObject({ ok: true });
      expect(r.checks.length).toBeGreaterThan(0);
      expect(r.outputsIdentical).toBe(true);
    });
  }
});
void float;
