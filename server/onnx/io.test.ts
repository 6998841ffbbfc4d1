import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { loadModel, saveModel, serializeModel } from './io.ts';
import { createSession, DeviceUnavailableError, ort } from './session.ts';
import { probeShapes, pinShapes } from './shapes.ts';
import { tensorToArray } from './tensor.ts';

function smallModel() {
  const g = new GraphBuilder({ opset: 18 });
  g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('layer.weight', Float32Array.from({ length: 3 * 600 }, (_, i) => Math.sin(i)), [3, 600]);
  const b = g.initializer('layer.bias', Float32Array.from({ length: 600 }, (_, i) => i / 600), [600]);
  const y = g.node('MatMul', ['x', w]);
  const z = g.node('Add', [y, b]);
  const s = g.node('Shape', [z]);
  g.node('Relu', [z], {}, { output: 'out' });
  g.output('out', 'float32', ['batch', 600]);
  g.node('Identity', [s], {}, { output: 'shape' });
  g.output('shape', 'int64', [2]);
  return g.toModel();
}

describe('model I/O', () => {
  it('saves big initializers as external data and loads them back, eager and lazy', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-io-'));
    const m = smallModel();
    const file = path.join(dir, 'model.onnx');
    saveModel(m, file);
    expect(fs.existsSync(path.join(dir, 'model.onnx_data'))).toBe(true);
    expect(fs.statSync(file).size).toBeLessThan(2000);
    const eager = loadModel(file);
    expect(eager.graph!.initializer!.map((t) => t.name)).toEqual(['layer.weight', 'layer.bias']);
    expect(Array.from(tensorToArray(eager.graph!.initializer![0]) as Float32Array)).toEqual(Array.from(tensorToArray(m.graph!.initializer![0]) as Float32Array));
    const lazy = loadModel(file, { externalData: 'lazy' });
    expect(lazy.graph!.initializer![0].dataLocation).toBe(1);
    // Re-saving a lazily loaded model elsewhere copies the data.
    const file2 = path.join(dir, 'sub', 'copy.onnx');
    saveModel(lazy, file2);
    const again = loadModel(file2);
    expect(Buffer.compare(Buffer.from(again.graph!.initializer![1].rawData!), Buffer.from(m.graph!.initializer![1].rawData!))).toBe(0);
    // ORT opens the saved file and the in-memory lazy model alike.
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 1]), [2, 3]);
    const r1 = await (await createSession(file, { cache: false })).run({ x });
    const r2 = await (await createSession(lazy, { cache: false })).run({ x });
    expect(Array.from(r1.out.data as Float32Array)).toEqual(Array.from(r2.out.data as Float32Array));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serialises to bytes that decode to the same graph', () => {
    const m = smallModel();
    const back = loadModel(serializeModel(m));
    expect(back.graph!.node!.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Shape', 'Relu', 'Identity']);
    expect(back.opsetImport![0].version).toBe(18);
  });
});

describe('sessions', () => {
  it('fails clearly for a provider that cannot start and caches per model', async () => {
    const m = smallModel();
    const a = await createSession(m);
    expect(await createSession(m)).toBe(a);
    // This machine has no GPU: webgpu must fail with a message naming the provider, never run on CPU.
    await expect(createSession(m, { device: 'webgpu', cache: false })).rejects.toThrow(/'webgpu' could not start/);
    await expect(createSession(m, { device: 'cuda', cache: false })).rejects.toBeInstanceOf(DeviceUnavailableError);
  });
});

describe('probeShapes / pinShapes', () => {
  it('reports every tensor and pins free dims', async () => {
    const m = smallModel();
    const shapes = await probeShapes(m, { x: [5, 3] });
    const mm = m.graph!.node![0].output![0];
    expect(shapes.get(mm)).toMatchObject({ dims: [5, 600], dataType: 1 });
    expect(shapes.get('shape')).toMatchObject({ dims: [2], dataType: 7, value: [5, 600] });
    const pinned = pinShapes(m, shapes);
    expect(pinned.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimValue)).toEqual([5, 3]);
    const s = await createSession(pinned, { cache: false });
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(15), [5, 3]) });
    expect(r.out.dims).toEqual([5, 600]);
  });
});
