import { describe, expect, it } from 'vitest';
import { createSession, DataType, float32ToHalf, GraphBuilder, halfToFloat32, makeTensor, ort, type ModelProto } from '../../onnx/index.ts';
import { hasFloat16, liftToFloat32 } from './float32-graph.ts';

/** A half graph as optimum --fp16 writes one: half weights, a half Constant, a float32 input cast to half. */
function halfGraph(): ModelProto {
  const b = new GraphBuilder({ opset: 14 });
  b.input('x', 'float16', [3]);
  b.input('t', 'float32', [3]);
  b.initializer('w', float32ToHalf([0.1, 3, -2.7]), [3], 'float16');
  const c = b.node('Constant', [], { value: makeTensor('c', float32ToHalf([1 / 3]), [], 'float16') });
  const th = b.node('Cast', ['t'], { to: DataType.FLOAT16 });
  b.node('Mul', [b.node('Add', [b.node('Add', ['x', 'w']), th]), c], {}, { output: 'y' });
  b.output('y', 'float16', [3]);
  return b.toModel();
}

describe('liftToFloat32', () => {
  it('widens half weights, constants, casts and I/O exactly; the half model is left as it was', async () => {
    const half = halfGraph();
    const lifted = liftToFloat32(half);
    expect(hasFloat16(half)).toBe(true);
    expect(hasFloat16(lifted)).toBe(false);
    expect(half.graph!.initializer![0].dataType).toBe(DataType.FLOAT16);
    expect(lifted.graph!.input!.map((v) => v.type?.tensorType?.elemType)).toEqual([DataType.FLOAT, DataType.FLOAT]);
    expect(lifted.graph!.output![0].type?.tensorType?.elemType).toBe(DataType.FLOAT);
    const x = float32ToHalf([0.5, -1.25, 7]);
    const t = Float32Array.of(1e-4, 2, 801);
    const s = await createSession(lifted, { cache: false });
    const y = (await s.run({ x: new ort.Tensor('float32', halfToFloat32(x), [3]), t: new ort.Tensor('float32', t, [3]) })).y;
    expect(y.type).toBe('float32');
    // The same arithmetic in float32 on the halves' exact values (t no longer rounded to half).
    const [xw, w, c] = [halfToFloat32(x), halfToFloat32(float32ToHalf([0.1, 3, -2.7])), halfToFloat32(float32ToHalf([1 / 3]))[0]];
    const want = xw.map((v, i) => Math.fround(Math.fround(Math.fround(v + w[i]) + t[i]) * c));
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(want));
  });

  it('returns a float32 model itself', () => {
    const b = new GraphBuilder({ opset: 14 });
    b.input('x', 'float32', [1]);
    b.node('Relu', ['x'], {}, { output: 'y' });
    b.output('y', 'float32', [1]);
    const m = b.toModel();
    expect(liftToFloat32(m)).toBe(m);
  });
});
