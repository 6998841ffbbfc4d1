import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { augment, drawAugment, flipHorizontal } from './augment.ts';

const ramp = (n: number) => {
  const data = new Float32Array(n * n * 3);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) data.set([c / n, r / n, 0.5], (r * n + c) * 3);
  return { width: n, height: n, data };
};

describe('augmentation', () => {
  it('is a pure function of the seed and always draws four words', () => {
    const a = augment(ramp(16), new Rng(7, 3), { randomCrop: true, randomFlip: true });
    const b = augment(ramp(16), new Rng(7, 3), { randomCrop: true, randomFlip: true });
    expect(a.data).toEqual(b.data);
    for (const opts of [{ randomCrop: false, randomFlip: false }, { randomCrop: true, randomFlip: true }]) {
      const rng = new Rng(1);
      drawAugment(rng, 16, opts);
      expect(rng.position).toBe(4);
    }
  });

  it('off means identity; flip mirrors columns; crops stay inside and keep the size', () => {
    const img = ramp(8);
    expect(augment(img, new Rng(1), { randomCrop: false, randomFlip: false }).data).toEqual(img.data);
    const f = flipHorizontal(img);
    expect(f.data[0]).toBeCloseTo(7 / 8);
    expect(flipHorizontal(f).data).toEqual(img.data);
    let flips = 0;
    let crops = 0;
    for (let s = 0; s < 200; s++) {
      const d = drawAugment(new Rng(s), 32, { randomCrop: true, randomFlip: true });
      expect(d.side).toBeGreaterThanOrEqual(Math.round(32 * 0.8));
      expect(d.x + d.side).toBeLessThanOrEqual(32);
      expect(d.y + d.side).toBeLessThanOrEqual(32);
      flips += d.flip ? 1 : 0;
      crops += d.side < 32 ? 1 : 0;
    }
    expect(flips).toBeGreaterThan(60);
    expect(flips).toBeLessThan(140);
    expect(crops).toBeGreaterThan(100);
    const out = augment(ramp(32), new Rng(3), { randomCrop: true, randomFlip: false });
    expect([out.width, out.height, out.data.length]).toEqual([32, 32, 32 * 32 * 3]);
  });
});
