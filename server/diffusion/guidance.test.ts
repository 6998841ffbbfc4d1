import { describe, expect, it } from 'vitest';
import { classifierFreeGuidance, guidanceFromDoubledBatch, rescaleNoiseCfg } from './guidance.ts';

describe('classifier-free guidance', () => {
  const u = Float32Array.from([0, 1, -2, 0.5]);
  const c = Float32Array.from([1, 1, 2, -0.5]);

  it('computes uncond + s·(cond − uncond)', () => {
    expect(Array.from(classifierFreeGuidance(u, c, { scale: 7.5 }))).toEqual([7.5, 1, 28, -7]);
    expect(Array.from(classifierFreeGuidance(u, c, { scale: 1 }))).toEqual(Array.from(c));
    expect(Array.from(classifierFreeGuidance(u, c, { scale: 0 }))).toEqual(Array.from(u));
  });

  it('splits a doubled batch [uncond, cond]', () => {
    const both = new Float32Array([...u, ...c]);
    expect(Array.from(guidanceFromDoubledBatch(both, { scale: 7.5 }))).toEqual([7.5, 1, 28, -7]);
  });

  it('rescale φ = 1 matches the conditional std per batch item; φ = 0.7 mixes', () => {
    const std = (a: Float32Array): number => {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
    };
    const cfg = classifierFreeGuidance(u, c, { scale: 7.5 });
    const full = classifierFreeGuidance(u, c, { scale: 7.5, rescale: 1 });
    expect(std(full)).toBeCloseTo(std(c), 5);
    const mixed = classifierFreeGuidance(u, c, { scale: 7.5, rescale: 0.7 });
    const ratio = std(c) / std(cfg);
    for (let i = 0; i < 4; i++) expect(mixed[i]).toBeCloseTo(0.7 * cfg[i] * ratio + 0.3 * cfg[i], 5);
    // Two batch items get their own std.
    const two = rescaleNoiseCfg(new Float32Array([...cfg, ...cfg.map((v) => 2 * v)]), new Float32Array([...c, ...c]), 1, 2);
    expect(std(two.subarray(0, 4))).toBeCloseTo(std(c), 5);
    expect(std(two.subarray(4))).toBeCloseTo(std(c), 5);
    expect(() => rescaleNoiseCfg(cfg, c, 1.5)).toThrow(/rescale/);
  });
});
