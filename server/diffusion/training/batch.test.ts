import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { drawBatch } from './batch.ts';
import { disc, tinySettings } from './model.testing.ts';

const subjects = [
  { images: [disc(16, [1, 0, 0])], prompt: 'a sks heart', classPrompt: 'a heart', identifier: 'sks' },
  { images: [disc(16, [0, 0, 1])], prompt: 'a xvg moon', classPrompt: 'a moon', identifier: 'xvg' },
];
const classImages = [[disc(16, [0, 1, 0])], [disc(16, [1, 1, 0])]];

describe('training batches', () => {
  it('Cut-Mix items: subjects side by side, prompt by position; class items composed the same way', () => {
    const s = tinySettings({ subjects, mixProbability: 1, priorWeight: 0.5, batchSize: 2 });
    const items = drawBatch(new Rng(1, 1), { settings: s, classImages, downscale: 2 });
    expect(items.map((i) => [i.kind, i.prompt, i.weight])).toEqual([
      ['instance', 'a sks heart on the left and a xvg moon on the right', 0.5],
      ['instance', 'a sks heart on the left and a xvg moon on the right', 0.5],
      ['class', 'a heart on the left and a moon on the right', 0.25],
      ['class', 'a heart on the left and a moon on the right', 0.25],
    ]);
    expect(items[0].mix).toEqual({ regions: [{ x0: 0, x1: 4 }, { x0: 4, x1: 8 }], identifiers: ['sks', 'xvg'] });
    // Left half red (subject 1), right half blue (subject 2), at the disc centres.
    const px = (img: { data: Float32Array }, x: number, y: number) => Array.from(img.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
    expect(px(items[0].image, 4, 8)).toEqual([1, 0, 0]);
    expect(px(items[0].image, 12, 8)).toEqual([0, 0, 1]);
    expect(px(items[2].image, 4, 8)).toEqual([0, 1, 0]);
    expect(px(items[2].image, 12, 8)).toEqual([1, 1, 0]);
  });

  it('p = 0 never mixes; about p of the items are mixed otherwise; same stream, same batch', () => {
    const never = drawBatch(new Rng(2, 1), { settings: tinySettings({ subjects, mixProbability: 0, batchSize: 8 }), classImages, downscale: 2 });
    expect(never.every((i) => !i.mix && (i.prompt === 'a sks heart' || i.prompt === 'a xvg moon'))).toBe(true);
    let mixed = 0;
    for (let k = 0; k < 50; k++) {
      mixed += drawBatch(new Rng(3, k), { settings: tinySettings({ subjects, mixProbability: 0.6, batchSize: 4 }), classImages, downscale: 2 }).filter((i) => i.mix).length;
    }
    expect(mixed / 200).toBeGreaterThan(0.45);
    expect(mixed / 200).toBeLessThan(0.75);
    const a = drawBatch(new Rng(4, 9), { settings: tinySettings({ subjects, randomCrop: true, randomFlip: true }), classImages, downscale: 2 });
    const b = drawBatch(new Rng(4, 9), { settings: tinySettings({ subjects, randomCrop: true, randomFlip: true }), classImages, downscale: 2 });
    expect(a[0].image.data).toEqual(b[0].image.data);
  });

  it('preservation sets take about half the plain prior items, with their own prompts or the empty one, weight λ/B', () => {
    const preserve = [{ prompt: 'a red circle', images: [disc(16, [1, 0, 1])] }, { prompt: 'a blue star', images: [disc(16, [0, 1, 1])] }];
    const s = tinySettings({ priorWeight: 2, batchSize: 4 });
    const prompts: string[] = [];
    for (let k = 0; k < 50; k++) {
      const items = drawBatch(new Rng(5, k), { settings: s, classImages: [classImages[0]], preserve, downscale: 2 });
      const prior = items.filter((i) => i.kind === 'class');
      expect(prior).toHaveLength(4);
      expect(prior.every((i) => i.weight === 0.5)).toBe(true);
      for (const i of prior) {
        prompts.push(i.prompt);
        // Each prior item's image belongs to its prompt.
        const centre = Array.from(i.image.data.subarray((8 * 16 + 8) * 3, (8 * 16 + 8) * 3 + 3));
        if (i.prompt === '') expect([[1, 0, 1], [0, 1, 1]]).toContainEqual(centre);
        else expect(centre).toEqual({ 'a heart': [0, 1, 0], 'a red circle': [1, 0, 1], 'a blue star': [0, 1, 1] }[i.prompt]);
      }
    }
    const share = (p: string) => prompts.filter((x) => x === p).length / prompts.length;
    expect(share('a heart')).toBeGreaterThan(0.4);
    expect(share('a heart')).toBeLessThan(0.6);
    expect(share('a red circle')).toBeGreaterThan(0.07);
    expect(share('a blue star')).toBeGreaterThan(0.07);
    expect(share('')).toBeGreaterThan(0.15);
    expect(share('')).toBeLessThan(0.35);
    // Without preservation sets the stream is drawn as before: every plain prior item is a class item.
    const plain = drawBatch(new Rng(5, 0), { settings: s, classImages: [classImages[0]], downscale: 2 });
    expect(plain.filter((i) => i.kind === 'class').every((i) => i.prompt === 'a heart')).toBe(true);
  });
});
