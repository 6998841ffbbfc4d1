import { describe, expect, it } from 'vitest';
import { nextSeed } from './seedControl.ts';
import { ChangeTracker } from './changeTracker.ts';
import { readPngText, workflowFromPng } from './pngMetadata.ts';
import { pngWithText } from '../test/png.ts';
import { ema } from './drawLive.ts';

describe('nextSeed', () => {
  it('keeps, steps with wrap-around, or randomises within range', () => {
    expect(nextSeed(5, 'fixed', 0, 10)).toBe(5);
    expect(nextSeed(5, 'increment', 0, 10)).toBe(6);
    expect(nextSeed(10, 'increment', 0, 10)).toBe(0);
    expect(nextSeed(0, 'decrement', 0, 10)).toBe(10);
    expect(nextSeed(5, 'randomize', 0, 10, () => 0.999999)).toBe(10);
    expect(nextSeed(5, 'randomize', 3, 10, () => 0)).toBe(3);
    expect(nextSeed(5, 'randomize', 0, 2 ** 64, () => 0.999999)).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });
});

describe('ChangeTracker', () => {
  it('records undo steps, redoes them, and tracks unsaved changes', () => {
    let state = { n: 1 };
    const t = new ChangeTracker({ take: () => state, restore: (s) => (state = s) });
    expect(t.dirty).toBe(false);
    expect(t.check()).toBe(false);
    state = { n: 2 };
    expect(t.check()).toBe(true);
    state = { n: 3 };
    t.check();
    expect(t.dirty).toBe(true);
    expect(t.undo()).toBe(true);
    expect(state).toEqual({ n: 2 });
    expect(t.undo()).toBe(true);
    expect(state).toEqual({ n: 1 });
    expect(t.dirty).toBe(false);
    expect(t.undo()).toBe(false);
    expect(t.redo()).toBe(true);
    expect(state).toEqual({ n: 2 });
    t.markSaved();
    expect(t.dirty).toBe(false);
    state = { n: 9 };
    t.check();
    expect(t.canRedo).toBe(false);
  });
});

describe('PNG metadata', () => {
  it('reads tEXt chunks and the workflow they carry', () => {
    const workflow = { nodes: [{ id: 1, type: 'LoadImage' }], links: [] };
    const png = pngWithText({ prompt: '{"1":{}}', workflow: JSON.stringify(workflow) });
    expect(readPngText(png)).toEqual({ prompt: '{"1":{}}', workflow: JSON.stringify(workflow) });
    expect(workflowFromPng(png)).toEqual(workflow);
    expect(workflowFromPng(pngWithText({ Software: 'x' }))).toBeUndefined();
    expect(readPngText(new ArrayBuffer(10))).toEqual({});
  });
});

describe('loss smoothing', () => {
  it('averages exponentially from the first value', () => {
    expect(ema([4, 0, 0], 0.5)).toEqual([4, 2, 1]);
    expect(ema([], 0.5)).toEqual([]);
  });
});
