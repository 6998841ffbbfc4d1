import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder.ts';
import { createSession, ort } from '../session.ts';
import { addMseLoss, addWeightedSum } from './losses.ts';
import { differentiate } from './differentiate.ts';
import { GradientError } from './rule.ts';
import { supportedOps } from './rules/index.ts';

describe('differentiate', () => {
  it('fails at build time naming the op and the node when a rule is missing', async () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', [2, 3]);
    const y = b.node('HardSwish', ['x'], {}, { name: 'my_hardswish' });
    b.node('ReduceSum', [y], { keepdims: 0 }, { output: 'loss' });
    b.output('loss', 'float32', []);
    const err = await differentiate(b.toModel(), { loss: 'loss', wrt: ['x'] }).catch((e) => e);
    expect(err).toBeInstanceOf(GradientError);
    expect(String(err.message)).toMatch(/HardSwish/);
    expect(String(err.message)).toMatch(/my_hardswish/);
  });

  it('does not differentiate integer shape paths and prunes unneeded gradients', async () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', ['n', 4]);
    b.initializer('w', Float32Array.from([1, 2, 3, 4]), [4, 1]);
    b.initializer('unused', Float32Array.from([1]), [1]);
    // Reshape target computed from Shape -> Gather -> Concat (int64 path).
    const n = b.node('Gather', [b.node('Shape', ['x']), b.constant([0], [1], 'int64')], { axis: 0 });
    const shape = b.node('Concat', [n, b.ints([1])], { axis: 0 });
    const y = b.node('Reshape', [b.node('MatMul', ['x', 'w']), shape]);
    b.node('Identity', [y], {}, { output: 'y' });
    b.output('y', 'float32', ['n', 1]);
    const m = addMseLoss(b.toModel(), { output: 'y', target: 't' });
    const g = await differentiate(m, { loss: 'loss', wrt: ['w', 'unused'], inputShapes: { x: [3, 4], t: [3, 1] } });
    const names = g.graph!.output!.map((o) => o.name);
    expect(names).toEqual(['y', 'loss', 'grad/w', 'grad/unused']);
    // No backward node touches the integer path or x's gradient.
    const backward = g.graph!.node!.slice(m.graph!.node!.length);
    expect(backward.some((n) => n.opType === 'ConvTranspose')).toBe(false);
    expect(backward.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm').length).toBe(1);
    const s = await createSession(g, { cache: false });
    const x = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
    const out = await s.run({ x: new ort.Tensor('float32', x, [3, 4]), t: new ort.Tensor('float32', new Float32Array(3), [3, 1]) });
    // loss = mean(y²), y = x·w = [1, 2, 7]: dL/dw = (2/3)·xᵀy
    const gw = Array.from(out['grad/w'].data as Float32Array);
    [2 / 3, 4 / 3, 14 / 3, 14 / 3].forEach((v, i) => expect(gw[i]).toBeCloseTo(v, 5));
    expect(Array.from(out['grad/unused'].data as Float32Array)).toEqual([0]);
  });

  it('builds weighted-sum losses in the graph', async () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', [2]);
    b.node('ReduceSum', [b.node('Mul', ['x', 'x'])], { keepdims: 0 }, { output: 'a' });
    b.node('ReduceSum', ['x'], { keepdims: 0 }, { output: 'c' });
    b.output('a', 'float32', []);
    b.output('c', 'float32', []);
    const m = addWeightedSum(b.toModel(), [{ name: 'a', weight: 0.5 }, { name: 'c', weight: 3 }], 'total');
    const g = await differentiate(m, { loss: 'total', wrt: ['x'] });
    const out = await (await createSession(g, { cache: false })).run({ x: new ort.Tensor('float32', Float32Array.from([1, -2]), [2]) });
    expect(out.total.data[0]).toBeCloseTo(0.5 * 5 + 3 * -1, 6);
    expect(Array.from(out['grad/x'].data as Float32Array)).toEqual([4, 1]);
  });

  it('covers the op list of the issue', () => {
    const required = ['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Neg', 'Exp', 'Log', 'Erf', 'Sin', 'Cos',
      'Tanh', 'Sigmoid', 'Relu', 'Softplus', 'Where', 'Softmax', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'ReduceMean',
      'ReduceSum', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Expand', 'Concat', 'Split', 'Slice', 'Gather', 'Identity', 'Cast',
      'Resize', 'Gelu', 'Pad', 'Einsum'];
    expect(required.filter((op) => !supportedOps().includes(op))).toEqual([]);
  });
});
