import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../storage.ts';
import { CheckpointStore, decodeCheckpoint, encodeCheckpoint, runKey, type Checkpoint } from './checkpoint.ts';

const ck = (step: number): Checkpoint => ({
  step,
  adamT: step,
  params: [{ name: 'delta/a', data: Float32Array.of(step, -0.5), m: Float64Array.of(0.1, 1e-300), v: Float64Array.of(Math.PI, 2) }],
  meta: { loss: '0.5' },
});

describe('checkpoints', () => {
  it('round-trip bit-exactly and detect damage', () => {
    const bytes = encodeCheckpoint(ck(3));
    expect(decodeCheckpoint(bytes)).toEqual(ck(3));
    // As read from disk: a Buffer view at an odd offset of a larger pool.
    const pool = Buffer.alloc(bytes.length + 13);
    pool.set(bytes, 13);
    expect(decodeCheckpoint(pool.subarray(13))).toEqual(ck(3));
    const bad = bytes.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => decodeCheckpoint(bad)).toThrow(/checksum/);
  });

  it('keeps the newest two, resumes from the newest readable one at or before a step', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'run');
    const store = new CheckpointStore(dir, writeFileAtomic);
    for (const s of [10, 20, 30]) await store.save(ck(s));
    expect(readdirSync(dir).sort()).toEqual(['step-00000020.ckpt', 'step-00000030.ckpt']);
    expect((await store.latest(1000))?.step).toBe(30);
    expect((await store.latest(25))?.step).toBe(20);
    expect(await store.latest(5)).toBeNull();
    writeFileSync(store.fileFor(30), 'torn');
    const skipped: string[] = [];
    expect((await store.latest(1000, (f) => skipped.push(f)))?.step).toBe(20);
    expect(skipped).toHaveLength(1);
  });

  it('run keys follow the inputs', () => {
    expect(runKey({ a: 1 })).toBe(runKey({ a: 1 }));
    expect(runKey({ a: 1 })).not.toBe(runKey({ a: 2 }));
  });
});
