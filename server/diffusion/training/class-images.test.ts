import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../storage.ts';
import { classImageDir, classImageKey, ensureClassImages, type ClassImageSpec } from './class-images.ts';

const spec: ClassImageSpec = { modelHash: 'h1', prompt: 'a heart', resolution: 8, steps: 5, guidance: 5, seed: 100 };

describe('class image cache', () => {
  it('keys change with anything that changes the pictures', () => {
    expect(classImageKey(spec)).toBe(classImageKey({ ...spec }));
    for (const over of [{ modelHash: 'h2' }, { prompt: 'a moon' }, { resolution: 16 }, { steps: 6 }, { guidance: 4 }, { seed: 1 }]) {
      expect(classImageKey({ ...spec, ...over })).not.toBe(classImageKey(spec));
    }
    expect(classImageDir('/c', spec)).toBe(`/c/class-images/${classImageKey(spec)}`);
  });

  it('generates once per seed; a re-run (or a larger count) reuses the cached ones', async () => {
    const cache = mkdtempSync(`${tmpdir()}/cls-`);
    const asked: number[] = [];
    const gen = async (seeds: number[]) => {
      asked.push(...seeds);
      return seeds.map((s) => ({ width: 8, height: 8, data: new Float32Array(8 * 8 * 3).fill((s % 7) / 7) }));
    };
    const a = await ensureClassImages(cache, spec, 3, gen, { writeAtomic: writeFileAtomic, chunk: 2 });
    expect([a.generated, asked]).toEqual([3, [100, 101, 102]]);
    const b = await ensureClassImages(cache, spec, 5, gen, { writeAtomic: writeFileAtomic });
    expect(b.generated).toBe(2);
    expect(asked).toEqual([100, 101, 102, 103, 104]);
    expect(b.images[1].data).toEqual(a.images[1].data);
    const c = await ensureClassImages(cache, spec, 5, gen, { writeAtomic: writeFileAtomic });
    expect(c.generated).toBe(0);
  });
});
