// Small graphs for spectral tests: every way a weight reaches its op (Conv, MatMul, Gemm with
// transB, a Transpose'd MatMul weight, an exporter-renamed `onnx::MatMul_…` weight), a
// LayerNorm scale and a GroupNorm scale as torch exports them, plus tensors that are not layers.
import { GraphBuilder, type ModelProto } from '../onnx/index.ts';
import { Rng } from '../diffusion/rng.ts';

export const TEST_INPUT = 'x';
export const TEST_INPUT_SHAPE = [2, 3, 5, 5];

export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const v = new Rng(seed, 3).normal(n);
  for (let i = 0; i < n; i++) v[i] *= scale;
  return v;
}

/** x [2,3,5,5] → conv → GroupNorm → pool → MatMul → Gemm(transB) → Transpose'd MatMul → renamed MatMul → LayerNorm → y [2,3]. */
export function buildTestGraph(seed = 1): ModelProto {
  const g = new GraphBuilder({ name: 'spectral-test' });
  let i = seed * 100;
  const w = (name: string, dims: number[], scale = 0.5) => g.initializer(name, randomValues(dims.reduce((a, b) => a * b, 1), i++, scale), dims);
  const x = g.input(TEST_INPUT, 'float32', TEST_INPUT_SHAPE);
  let h = g.node('Conv', [x, w('conv.weight', [4, 3, 3, 3]), w('conv.bias', [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: '/conv/Conv' });
  // GroupNorm (2 groups) the torch way: InstanceNormalization on [B, G, -1] with constant ones, then a per-channel affine.
  const shape = g.node('Shape', [h]);
  const grouped = g.node('Reshape', [h, g.ints([0, 2, -1])]);
  const normed = g.node('Reshape', [g.node('InstanceNormalization', [grouped, g.constant([1, 1], [2]), g.constant([0, 0], [2])], { epsilon: 1e-5 }), shape]);
  const axes = g.ints([1, 2]);
  h = g.node('Add', [g.node('Mul', [normed, g.node('Unsqueeze', [w('gn.weight', [4], 1), axes])]), g.node('Unsqueeze', [w('gn.bias', [4]), axes])]);
  h = g.node('ReduceMean', [h, g.ints([2, 3])], { keepdims: 0 }); // [2, 4]
  h = g.node('Add', [g.node('MatMul', [h, w('lin.weight', [4, 5])], {}, { name: '/lin/MatMul' }), w('lin.bias', [5])]); // [2, 5]
  h = g.node('Gemm', [h, w('gemm.weight', [6, 5]), w('gemm.bias', [6])], { transB: 1 }, { name: '/gemm/Gemm' }); // [2, 6]
  h = g.node('MatMul', [h, g.node('Transpose', [w('tw.weight', [3, 6])], { perm: [1, 0] })], {}, { name: '/tw/MatMul' }); // [2, 3]
  h = g.node('Tanh', [h]);
  h = g.node('MatMul', [h, w('onnx::MatMul_99', [3, 3])], {}, { name: '/blocks.0/attn1/to_q/MatMul' });
  h = g.node('LayerNormalization', [h, w('ln.weight', [3], 1), w('ln.bias', [3])], { axis: -1, epsilon: 1e-5 }, { name: '/ln/LayerNormalization' });
  h = g.node('Mul', [h, g.scalar(2)]);
  g.node('Identity', [h], {}, { output: 'y' });
  g.output('y', 'float32', [2, 3]);
  return g.toModel();
}

/** The layers buildTestGraph holds: name → [kind, rows, cols, k]. */
export const TEST_GRAPH_LAYERS: Record<string, [string, number, number, number]> = {
  conv: ['conv', 4, 27, 4],
  gn: ['norm', 1, 4, 1],
  lin: ['matrix', 4, 5, 4],
  gemm: ['matrix', 6, 5, 5],
  tw: ['matrix', 3, 6, 3],
  'blocks.0.attn1.to_q': ['matrix', 3, 3, 3],
  ln: ['norm', 1, 3, 1],
};
