import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { conceptImages } from '../research/datasets/index.ts';
import { writeConceptImages } from '../scripts/make-concept-images.ts';

const dir = mkdtempSync(join(tmpdir(), 'concepts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('make-concept-images', () => {
  it('writes PNGs matching the rendered concept images, and a captions index', () => {
    const files = writeConceptImages('heart', 3, dir, 9, { resolution: 32 });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['heart_00.png', 'heart_01.png', 'heart_02.png']);
    const want = conceptImages('heart', 3, 9, { resolution: 32 });
    files.forEach((f, k) => {
      const png = PNG.sync.read(readFileSync(f));
      expect([png.width, png.height]).toEqual([32, 32]);
      for (let i = 0; i < 32 * 32; i++)
        for (let c = 0; c < 3; c++) expect(png.data[i * 4 + c]).toBe(Math.round(want[k].image[i * 3 + c] * 255));
    });
    const index = JSON.parse(readFileSync(join(dir, 'captions.json'), 'utf8'));
    expect(index).toHaveLength(3);
    expect(index[0]).toMatchObject({ file: 'heart_00.png', caption: 'a sks heart', classCaption: 'a heart' });
  });
});
