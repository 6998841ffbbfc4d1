import { describe, expect, it } from 'vitest';
import { composeSideBySide, conceptImages } from '../datasets/concepts.ts';
import { RGB } from '../datasets/palette.ts';
import { renderShape } from '../datasets/shapes.ts';
import { classifyHalves, classifyImage, classifyPosition } from './classify.ts';
import { addGaussianNoise } from './image-ops.ts';
import { maskIoU } from './mask.ts';
import { validateClassifier } from './validate-classifier.ts';

describe('procedural classifier', () => {
  it('meets accuracy targets on clean dataset images (held-out shapes included)', { timeout: 300_000 }, () => {
    const r = validateClassifier({ count: 150, seed: 77, resolution: 32 });
    expect(r.colorAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(r.shapeAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.backgroundAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(r.positionAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(Object.keys(r.confusion)).toEqual(expect.arrayContaining(['heart', 'moon']));
  });

  it('stays accurate under blur (σ=0.5 px) and Gaussian noise (σ=0.05)', { timeout: 300_000 }, () => {
    const r = validateClassifier({ count: 150, seed: 78, resolution: 32, noiseSigma: 0.05, blurSigma: 0.5 });
    expect(r.colorAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(r.shapeAccuracy).toBeGreaterThanOrEqual(0.93);
  });

  it('works at 64×64 and reports mask, bbox, pose', () => {
    const img = renderShape({ shape: 'heart', color: 'pink', background: 'blue', size: 'large', position: 'right' }, 64);
    const c = classifyImage(img);
    expect(c.shape).toBe('heart');
    expect(c.certain).toBe(true);
    expect(c.color).toBe('pink');
    expect(c.background).toBe('blue');
    expect(c.position).toBe('right');
    expect(c.size).toBe('large');
    expect((c.bbox!.x0 + c.bbox!.x1) / 2).toBeGreaterThan(38); // right of centre (0.67 × 64)
    expect(c.area).toBeGreaterThan(300);
    expect(c.confidences.heart).toBeGreaterThan(0.5);
  });

  it('says "none" for an empty or pure-noise image', () => {
    const flat = new Float32Array(32 * 32 * 3).fill(0.5);
    expect(classifyImage(flat).shape).toBe('none');
    const noisy = addGaussianNoise(flat, 0.03, 1);
    const c = classifyImage(noisy);
    expect(c.shape).toBe('none');
    expect(c.color).toBe('none');
    expect(c.background).toBe('gray');
  });

  it('mask IoU is 1 with itself and below 1 with a shifted copy', () => {
    const img = renderShape({ shape: 'star', color: 'white', background: 'black', size: 'large', position: 'center' }, 32);
    const m = classifyImage(img).mask;
    expect(maskIoU(m, m)).toBe(1);
    const shifted = new Uint8Array(m.length);
    for (let y = 0; y < 32; y++) for (let x = 1; x < 32; x++) shifted[y * 32 + x] = m[y * 32 + x - 1];
    const iou = maskIoU(m, shifted);
    expect(iou).toBeLessThan(1);
    expect(iou).toBeGreaterThan(0.5);
    expect(() => maskIoU(m, new Uint8Array(3))).toThrow();
  });

  it('classifyPosition maps centres to position words', () => {
    expect(classifyPosition(0.5, 0.52)).toBe('center');
    expect(classifyPosition(0.25, 0.5)).toBe('left');
    expect(classifyPosition(0.8, 0.45)).toBe('right');
    expect(classifyPosition(0.5, 0.2)).toBe('top');
    expect(classifyPosition(0.55, 0.8)).toBe('bottom');
  });

  it('reads both subjects of a side-by-side sample', () => {
    const [heart] = conceptImages('heart', 1, 5, { resolution: 64 });
    const [moon] = conceptImages('moon', 1, 6, { resolution: 64 });
    const s = composeSideBySide(heart, moon);
    const { left, right } = classifyHalves(s.image);
    expect([left.shape, left.color]).toEqual(['heart', 'red']);
    expect([right.shape, right.color]).toEqual(['moon', 'yellow']);
    expect(RGB.red).toBeDefined();
  });
});
