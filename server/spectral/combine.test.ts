import { describe, expect, it } from 'vitest';
import { addShifts, combineShifts, CombineError, interpolateShifts, scaleShifts } from './combine.ts';
import { cloneShifts, countParameters, isZero, makeShifts, zeroShifts } from './shifts.ts';

const A = () => makeShifts('m1', new Map([['a', Float32Array.from([1, 2])], ['b', Float32Array.from([4])]]));
const B = () => makeShifts('m1', new Map([['a', Float32Array.from([10, -20])], ['c', Float32Array.from([0.5, 0.5, 0.5])]]));

describe('combine', () => {
  it('adds (weights 1); a layer missing in one counts as zero', () => {
    const s = addShifts([A(), B()]);
    expect(Array.from(s.deltas.get('a')!)).toEqual([11, -18]);
    expect(Array.from(s.deltas.get('b')!)).toEqual([4]);
    expect(Array.from(s.deltas.get('c')!)).toEqual([0.5, 0.5, 0.5]);
    expect(s.modelHash).toBe('m1');
    expect(s.byteSize).toBe(6 * 4);
  });

  it('interpolates α·δ₁ + (1−α)·δ₂ and scales', () => {
    const s = interpolateShifts(A(), B(), 0.25, 2);
    expect(Array.from(s.deltas.get('a')!)).toEqual([2 * (0.25 * 1 + 0.75 * 10), 2 * (0.25 * 2 + 0.75 * -20)]);
    expect(Array.from(s.deltas.get('b')!)).toEqual([2 * 0.25 * 4]);
    expect(Array.from(s.deltas.get('c')!)).toEqual([0.75, 0.75, 0.75]);
    // α = 1 gives δ₁ back; α = 0 gives δ₂.
    expect(Array.from(interpolateShifts(A(), B(), 1).deltas.get('a')!)).toEqual([1, 2]);
    expect(Array.from(interpolateShifts(A(), B(), 0).deltas.get('a')!)).toEqual([10, -20]);
  });

  it('is linear: combine(x, y; w) = w₁x + w₂y, scale 0 gives zero', () => {
    const s = combineShifts([A(), A()], [0.5, -1.5]);
    expect(Array.from(s.deltas.get('a')!)).toEqual([-1, -2]);
    expect(isZero(scaleShifts(A(), 0))).toBe(true);
    expect(Array.from(scaleShifts(A(), -3).deltas.get('b')!)).toEqual([-12]);
  });

  it('does not change its inputs', () => {
    const a = A();
    addShifts([a, a], 5);
    expect(Array.from(a.deltas.get('a')!)).toEqual([1, 2]);
  });

  it('refuses shifts of different models, naming both', () => {
    const other = makeShifts('m2', new Map([['a', Float32Array.from([1, 1])]]));
    expect(() => addShifts([A(), other])).toThrow(CombineError);
    expect(() => addShifts([A(), other])).toThrow('cannot combine shifts of different models: input 1 is for model m1, input 2 is for model m2');
  });

  it('refuses mismatched lengths, counts and non-finite weights', () => {
    const bad = makeShifts('m1', new Map([['a', Float32Array.from([1, 2, 3])]]));
    expect(() => addShifts([A(), bad])).toThrow(/layer "a" has 2 values in one input and 3 in input 2/);
    expect(() => combineShifts([A()], [1, 2])).toThrow(/1 shifts but 2 weights/);
    expect(() => combineShifts([], [])).toThrow(/at least one/);
    expect(() => combineShifts([A()], [NaN])).toThrow(/finite/);
  });

  it('marks the result partial when an input is partial', () => {
    const p = A();
    p.metadata.partial = 'true';
    expect(addShifts([p, A()]).metadata.partial).toBe('true');
  });
});

describe('shifts helpers', () => {
  it('zeros, clone, count', () => {
    const z = zeroShifts('h', new Map([['x', 3], ['y', 1]]));
    expect(isZero(z)).toBe(true);
    expect(countParameters(z)).toBe(4);
    expect(z.byteSize).toBe(16);
    const c = cloneShifts(A());
    c.deltas.get('a')![0] = 99;
    expect(A().deltas.get('a')![0]).toBe(1);
    expect(() => zeroShifts('h', [['x', 0]])).toThrow(/layer "x"/);
  });
});
