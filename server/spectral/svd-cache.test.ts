import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { svd } from '../linalg/index.ts';
import { randomMatrix } from '../linalg/matrices.testing.ts';
import { cacheFileName, SvdCache } from './svd-cache.ts';

async function counted() {
  let calls = 0;
  const compute = async (m: Float32Array, r: number, c: number) => {
    calls++;
    return svd(m, r, c);
  };
  return { compute, calls: () => calls };
}

describe('SvdCache', () => {
  const layer = 'down_blocks.0/attn1:to_q';
  const W = randomMatrix(12, 30, 1);

  it('computes once, then loads the identical factors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svdcache-'));
    const { compute, calls } = await counted();
    const first = await new SvdCache(dir).getOrCompute(layer, W, 12, 30, compute);
    expect(first.fromCache).toBe(false);
    const second = await new SvdCache(dir).getOrCompute(layer, W, 12, 30, compute);
    expect(second.fromCache).toBe(true);
    expect(calls()).toBe(1);
    for (const key of ['U', 'S', 'V'] as const) expect(Array.from(second.factors[key])).toEqual(Array.from(first.factors[key]));
    expect(second.factors.k).toBe(12);
    expect(await readdir(dir)).toEqual([cacheFileName(layer)]);
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['a flipped data byte', (b: Buffer) => { const c = Buffer.from(b); c[c.length - 5] ^= 0xff; return c; }],
    ['garbage', () => Buffer.from('not a cache file at all')],
    ['empty', () => Buffer.alloc(0)],
  ])('detects a damaged file (%s), recomputes and rewrites it', async (_name, damage) => {
    const dir = await mkdtemp(join(tmpdir(), 'svdcache-'));
    const { compute, calls } = await counted();
    const cache = new SvdCache(dir);
    await cache.getOrCompute(layer, W, 12, 30, compute);
    const path = cache.pathFor(layer);
    await writeFile(path, damage(await readFile(path)));
    const again = new SvdCache(dir);
    const r = await again.getOrCompute(layer, W, 12, 30, compute);
    expect(r.fromCache).toBe(false);
    expect(calls()).toBe(2);
    expect(again.corrupt).toHaveLength(1);
    expect(again.corrupt[0].layer).toBe(layer);
    expect((await new SvdCache(dir).getOrCompute(layer, W, 12, 30, compute)).fromCache).toBe(true);
  });

  it('does not trust a file made for another shape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svdcache-'));
    const { compute } = await counted();
    await new SvdCache(dir).getOrCompute(layer, W, 12, 30, compute);
    const c = new SvdCache(dir);
    expect(await c.get(layer, 30, 12)).toBeNull();
    expect(c.corrupt[0].reason).toMatch(/12×30 weight, the layer is 30×12/);
  });
});
