// The comparison, tolerance verdict and table of `npm run check:device` (scripts/lib/device-check.ts).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReference, compareStage, formatTable, maxAbsDiff, relativeShiftDiff, toleranceFor, toRow, type StageResult } from '../scripts/lib/device-check.ts';
import { withDeviceMemory } from '../scripts/lib/gpu-memory.ts';

const result = (over: Partial<StageResult>): StageResult => ({ model: 'm', provider: 'webgpu', stage: 'sample', seconds: 1.5, deviceMemory: 'n/a', peakRssMiB: 300, ...over });
const f32 = (...v: number[]) => Float32Array.from(v);

describe('check:device comparisons', () => {
  it('measures latents by max-abs difference, relative to max(1, the CPU latent’s scale), with looser limits for cuda (TF32)', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1, Number.NaN], [1, 2])).toBeNaN();
    expect(toleranceFor('webgpu')).toEqual({ latent: 1e-2, loss: 1e-3, shifts: 5e-2 });
    expect(toleranceFor('cuda')).toEqual({ latent: 1e-1, loss: 1e-2, shifts: 3e-1 });
    const ref = result({ provider: 'cpu', latent: f32(0.5, -0.5) });
    const [close] = compareStage(result({ latent: f32(0.505, -0.5) }), ref);
    expect(close.metric).toBe('latent');
    expect(close.value).toBeCloseTo(0.005, 6);
    expect(close.ok).toBe(true);
    expect(compareStage(result({ latent: f32(0.53, -0.5) }), ref)[0].ok).toBe(false);
    expect(compareStage(result({ provider: 'cuda', latent: f32(0.53, -0.5) }), ref)[0].ok).toBe(true);
    // A latent of scale 10: the same 0.03 is 3e-3 of it.
    const big = result({ provider: 'cpu', latent: f32(10, -1) });
    expect(compareStage(result({ latent: f32(10.03, -1) }), big)[0]).toMatchObject({ ok: true });
    expect(compareStage(result({ latent: f32(10, Number.NaN) }), big)[0]).toMatchObject({ metric: 'latent', ok: false });
    expect(compareStage(result({ latent: f32(10) }), big)[0]).toMatchObject({ metric: 'shape', ok: false });
  });

  it('compares each training loss relatively, and the shifts by relative L2 over all layers', () => {
    const deltas = (a: number[], b: number[]) => new Map([['l1', f32(...a)], ['l2', f32(...b)]]);
    const ref = result({ provider: 'cpu', stage: 'train', losses: [1, 0.5], deltas: deltas([3, 0], [0, 4]) });
    expect(relativeShiftDiff(deltas([3, 0], [0, 4.5]), ref.deltas!)).toBeCloseTo(0.1, 6);
    expect(relativeShiftDiff(new Map([['l1', f32(3, 0)]]), ref.deltas!)).toBeNaN();
    const checks = compareStage(result({ stage: 'train', losses: [1.0005, 0.52], deltas: deltas([3, 0], [0, 4.1]) }), ref);
    expect(checks.map((c) => [c.metric, c.ok])).toEqual([['loss', true], ['loss', false], ['shifts', true]]);
    expect(checks[1].value).toBeCloseTo(0.04, 6);
    expect(compareStage(result({ stage: 'train', losses: [1, 0.5], deltas: deltas([3, 0], [0, 5]) }), ref)[2]).toMatchObject({ metric: 'shifts', ok: false });
  });

  it('fails a provider that failed mid-run, and a CPU reference with non-finite values; stages without numbers have no verdict', () => {
    expect(compareStage(result({ stage: 'error', error: 'sample: boom' }), undefined)[0]).toMatchObject({ metric: 'run', ok: false });
    expect(compareStage(result({ stage: 'load' }), result({ provider: 'cpu', stage: 'load' }))).toEqual([]);
    expect(checkReference(result({ provider: 'cpu', losses: [1, Number.NaN] }))[0]).toMatchObject({ metric: 'finite', ok: false });
    expect(checkReference(result({ provider: 'cpu', latent: f32(1, 2) }))[0]).toMatchObject({ metric: 'finite', ok: true });
    expect(checkReference(result({ provider: 'cpu', stage: 'svd' }))).toEqual([]);
  });

  it('prints one row per stage: reference values on CPU rows, differences and the verdict elsewhere', () => {
    const cpu = result({ provider: 'cpu', stage: 'train', seconds: 4.75, losses: [0.79718, 0.72087], deltas: new Map([['l', f32(1, 1)]]) });
    const gpu = result({ provider: 'cuda', stage: 'train', seconds: 0.5, losses: [0.79719, 0.72087], deltas: new Map([['l', f32(1, 1.01)]]), deviceMemory: '500→900 MiB', peakRssMiB: 812.4, note: '120 ms/step' });
    const failed = result({ provider: 'cuda', stage: 'error', seconds: 2, error: 'invert: kernel failed' });
    const rows = [toRow(cpu, checkReference(cpu), true), toRow(gpu, compareStage(gpu, cpu), false), toRow(failed, compareStage(failed, undefined), false)];
    expect(rows.map((r) => [r.diff, r.verdict])).toEqual([
      ['ref, loss 0.79718, 0.72087', 'ok'],
      ['loss rel 1.3e-5, 0; shifts rel 7.1e-3', 'ok'],
      ['FAILED: invert: kernel failed', 'FAIL'],
    ]);
    const table = formatTable(rows).split('\n');
    expect(table[0]).toMatch(/^model +provider +stage +time \(s\) +CPU diff +device mem +peak RSS \(MiB\) +verdict +notes$/);
    expect(table[3]).toMatch(/^m +cuda +train +0\.50 +loss rel 1\.3e-5, 0; shifts rel 7\.1e-3 +500→900 MiB +812 +ok +120 ms\/step$/);
    expect(table).toHaveLength(5);
  });
});

describe('check:device device memory', () => {
  const bin = mkdtempSync(join(tmpdir(), 'fake-nvidia-smi-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('reads nvidia-smi before a cuda stage and its peak while it runs; n/a for other providers', async () => {
    // A stand-in nvidia-smi: 1000 MiB on the first read, then 1000 + 100 per read.
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nn=$(cat "${bin}/n" 2>/dev/null || echo 0)\necho $((n + 1)) > "${bin}/n"\necho "$((1000 + n * 100))"\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path}`;
    try {
      const r = await withDeviceMemory('cuda', async () => {
        await new Promise((done) => setTimeout(done, 700));
        return 42;
      });
      expect(r.value).toBe(42);
      const m = /^1000→(\d+) MiB$/.exec(r.memory);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(1100);
      expect(await withDeviceMemory('webgpu', async () => 1)).toEqual({ value: 1, memory: 'n/a' });
    } finally {
      process.env.PATH = path;
    }
  });
});
