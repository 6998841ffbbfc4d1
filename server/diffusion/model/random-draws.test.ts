import { describe, expect, it } from 'vitest';
import { createSession, float32ToHalf, GraphBuilder, halfToFloat32, ort, type DType, type ModelProto } from '../../onnx/index.ts';
import { drawsAsMeans, hasRandomDraws } from './random-draws.ts';

/** y = x + exp(x)·ε with ε drawn like x (a VAE encoder's latent_dist.sample()), and z = a RandomNormal. */
function sampler(dtype: DType, mean = 0): ModelProto {
  const b = new GraphBuilder({ opset: 14 });
  b.input('x', dtype, [2, 3]);
  const eps = b.node('RandomNormalLike', ['x'], { dtype: dtype === 'float16' ? 10 : 1, mean, scale: 1 });
  b.node('Add', ['x', b.node('Mul', [b.node('Exp', ['x']), eps])], {}, { output: 'y' });
  b.node('RandomNormal', [], { shape: [2], dtype: 1, mean }, { output: 'z' });
  b.output('y', dtype, [2, 3]);
  b.output('z', 'float32', [2]);
  return b.toModel();
}

const X = Float32Array.of(-1, 0, 0.5, 1, 2, 3);

describe('drawsAsMeans', () => {
  it.each(['float32', 'float16'] as const)('%s: each normal draw becomes its mean, so y = x exactly and runs repeat', async (dtype) => {
    const model = sampler(dtype);
    const det = drawsAsMeans(model);
    expect(hasRandomDraws(model)).toBe(true);
    expect(hasRandomDraws(det)).toBe(false);
    const s = await createSession(det, { cache: false });
    const x = dtype === 'float16' ? new ort.Tensor('float16', float32ToHalf(X), [2, 3]) : new ort.Tensor('float32', X, [2, 3]);
    const read = (t: ort.Tensor) => (t.type === 'float16' ? halfToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
    const [a, b] = [await s.run({ x }), await s.run({ x })];
    expect(a.y.type).toBe(dtype);
    expect(Array.from(read(a.y))).toEqual(Array.from(read(x)));
    expect(Array.from(read(b.y))).toEqual(Array.from(read(a.y)));
    expect(Array.from(a.z.data as Float32Array)).toEqual([0, 0]);
  });

  it('uses the draw’s mean attribute, and leaves a graph without draws as it is', async () => {
    const s = await createSession(drawsAsMeans(sampler('float32', 0.25)), { cache: false });
    const out = await s.run({ x: new ort.Tensor('float32', X, [2, 3]) });
    (out.y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(X[i] + Math.exp(X[i]) * 0.25, 5));
    expect(Array.from(out.z.data as Float32Array)).toEqual([0.25, 0.25]);
    const b = new GraphBuilder({ opset: 14 });
    b.input('x', 'float32', [1]);
    b.node('Relu', ['x'], {}, { output: 'y' });
    b.output('y', 'float32', [1]);
    const plain = b.toModel();
    expect(drawsAsMeans(plain)).toBe(plain);
  });
});
