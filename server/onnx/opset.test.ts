import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { MAX_RAISED_OPSET, modelOpset, raiseOpset } from './opset.ts';
import { createSession, ort } from './session.ts';

/** x → Gather(table) → ReduceMean(axes attribute, the opset-13..17 form), at `opset`. */
function exportLike(opset: number) {
  const b = new GraphBuilder({ opset });
  b.input('ids', 'int64', [2]);
  const table = b.initializer('table', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
  const rows = b.node('Gather', [table, 'ids'], { axis: 0 });
  b.node('ReduceMean', [rows], { axes: [1], keepdims: 0 }, { output: 'y' });
  b.output('y', 'float32', [2]);
  const m = b.toModel();
  m.irVersion = 7;
  return m;
}

describe('raiseOpset', () => {
  it('raises an opset-14 graph to 17: same graph, same results, ops of opset 16 now valid beside it', async () => {
    const m = exportLike(14);
    const up = raiseOpset(m, MAX_RAISED_OPSET);
    expect(modelOpset(m)).toBe(14);
    expect(modelOpset(up)).toBe(17);
    expect(up.irVersion).toBe(8);
    expect(up.graph).toBe(m.graph);
    // A scatter-add (ScatterND reduction, opset 16) spliced in runs only in the raised model.
    const add = (model: typeof m) => ({
      ...model,
      graph: {
        ...model.graph,
        node: [...model.graph!.node!, { opType: 'ScatterND', input: ['table', 'idx', 'upd'], output: ['z'], attribute: [{ name: 'reduction', type: 3, s: new TextEncoder().encode('add') }] }],
        initializer: [...model.graph!.initializer!,
          { name: 'idx', dims: [2, 1], dataType: 7, rawData: new Uint8Array(BigInt64Array.from([0n, 0n]).buffer) },
          { name: 'upd', dims: [2, 2], dataType: 1, rawData: new Uint8Array(Float32Array.from([1, 1, 1, 1]).buffer) }],
        output: [...model.graph!.output!, { name: 'z' }],
      },
    });
    await expect(createSession(add(m), { cache: false })).rejects.toThrow(/reduction/);
    const s = await createSession(add(up), { cache: false });
    const out = await s.run({ ids: new ort.Tensor('int64', BigInt64Array.from([2n, 0n]), [2]) });
    expect([...(out.y.data as Float32Array)]).toEqual([5.5, 1.5]);
    expect([...(out.z.data as Float32Array)]).toEqual([3, 4, 3, 4, 5, 6]);
  });

  it('keeps a model already there, and refuses what it cannot raise', () => {
    const m = exportLike(18);
    expect(raiseOpset(m, 17)).toBe(m);
    expect(() => raiseOpset(exportLike(14), 18)).toThrow(/only opsets 13–17/);
    const roi = exportLike(14);
    roi.graph!.node!.push({ opType: 'RoiAlign', input: [], output: ['r'] });
    expect(() => raiseOpset(roi, 17)).toThrow(/RoiAlign changed meaning at opset 16/);
    expect(raiseOpset(roi, 15).graph).toBe(roi.graph);
  });
});
