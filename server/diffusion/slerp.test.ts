import { describe, expect, it } from 'vitest';
import { lerp, slerp } from './slerp.ts';
import { randn } from './rng.ts';

const norm = (a: Float32Array): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

describe('slerp', () => {
  const a = randn(1, [4, 8, 8]);
  const b = randn(2, [4, 8, 8]);

  it('returns a at α = 0 and b at α = 1', () => {
    expect(Array.from(slerp(0, a, b))).toEqual(Array.from(a));
    expect(Array.from(slerp(1, a, b))).toEqual(Array.from(b));
  });

  it('keeps orthogonal unit vectors on the sphere where lerp shrinks them', () => {
    const x = Float32Array.from([1, 0, 0]);
    const y = Float32Array.from([0, 1, 0]);
    const m = slerp(0.5, x, y);
    expect(norm(m)).toBeCloseTo(1, 6);
    expect(m[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(m[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(norm(lerp(0.5, x, y))).toBeCloseTo(Math.SQRT1_2, 6);
    const q = slerp(1 / 3, x, y); // 30° of the 90° arc
    expect(q[0]).toBeCloseTo(Math.cos(Math.PI / 6), 6);
    expect(q[1]).toBeCloseTo(Math.sin(Math.PI / 6), 6);
  });

  it('interpolates the angle linearly over whole tensors of equal norm', () => {
    const unit = (v: Float32Array): Float32Array => v.map((x) => x / norm(v));
    const ua = unit(a);
    const ub = unit(b);
    const angle = (u: Float32Array, v: Float32Array): number => {
      let d = 0;
      for (let i = 0; i < u.length; i++) d += u[i] * v[i];
      return Math.acos(d / (norm(u) * norm(v)));
    };
    const theta = angle(ua, ub);
    const m = slerp(0.25, ua, ub);
    expect(angle(ua, m)).toBeCloseTo(0.25 * theta, 4);
    expect(angle(m, ub)).toBeCloseTo(0.75 * theta, 4);
    expect(norm(m)).toBeCloseTo(1, 5);
  });

  it('falls back to lerp when nearly parallel (|cos| > 0.9995) or degenerate', () => {
    const c = Float32Array.from(a, (v, i) => v + 0.001 * b[i]);
    expect(Array.from(slerp(0.3, a, c))).toEqual(Array.from(lerp(0.3, a, c)));
    const neg = Float32Array.from(a, (v) => -v);
    expect(Array.from(slerp(0.3, a, neg))).toEqual(Array.from(lerp(0.3, a, neg)));
    const zero = new Float32Array(a.length);
    expect(Array.from(slerp(0.5, zero, b))).toEqual(Array.from(lerp(0.5, zero, b)));
  });

  it('rejects mismatched sizes', () => {
    expect(() => slerp(0.5, a, b.subarray(1))).toThrow(/size/);
  });
});
