import { describe, expect, it } from 'vitest';
import { readableView } from './layout.ts';

/** Screen rectangle a canvas-space point lands on. */
const screen = (v: { scale: number; offset: [number, number] }, x: number, y: number) => [(x + v.offset[0]) * v.scale, (y + v.offset[1]) * v.scale];

describe('readableView', () => {
  it('centres a graph that fits at a readable scale', () => {
    const v = readableView([0, 0, 800, 400], [1600, 900]);
    expect(v.scale).toBe(1); // never zooms in past 1
    const [x0, y0] = screen(v, 0, 0);
    const [x1, y1] = screen(v, 800, 400);
    expect([x0 + x1, y0 + y1]).toEqual([1600, 900]);
  });

  it('zooms out down to the minimum only, then shows the graph\'s start (left and top)', () => {
    const v = readableView([100, -30, 3000, 1930], [1300, 800]);
    expect(v.scale).toBe(0.6);
    expect(screen(v, 100, -30)).toEqual([40, 40]);
    const mid = readableView([0, 0, 3000, 600], [1300, 800]);
    expect(mid.scale).toBe(0.6);
    expect(screen(mid, 0, 0)[0]).toBeCloseTo(40); // too wide: starts at the left
    const [, top] = screen(mid, 0, 0);
    const [, bottom] = screen(mid, 0, 600);
    expect(top + bottom).toBeCloseTo(800); // fits in height: centred
  });

  it('uses a scale between the limits when the graph fits there', () => {
    const v = readableView([0, 0, 1600, 700], [1300, 800], { margin: 0 });
    expect(v.scale).toBeCloseTo(1300 / 1600);
  });
});
