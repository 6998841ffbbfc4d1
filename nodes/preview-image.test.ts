import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import PreviewImage from './preview-image.ts';
import { decodePng, stackImages } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('PreviewImage', () => {
  it('writes each frame to temp/ under a fresh prefix and reports type temp', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    expect(PreviewImage.outputNode).toBe(true);
    const images = stackImages([gradient(4, 3, 1), gradient(4, 3, 2)]);
    const a = await PreviewImage.run({ images }, testContext(t.storage));
    const b = await PreviewImage.run({ images }, testContext(t.storage));
    const refs = [...a.ui!.images!, ...b.ui!.images!];
    expect(refs.every((r) => r.type === 'temp' && r.subfolder === '' && /^svdiff_temp_[0-9a-f]{8}_0000[12]_\.png$/.test(r.filename))).toBe(true);
    expect(new Set(refs.map((r) => r.filename)).size).toBe(4);
    expect(readdirSync(t.storage.outputDir)).toEqual([]);
    expect(decodePng(readFileSync(join(t.storage.tempDir, refs[1].filename))).data).toEqual(gradient(4, 3, 2).data);
  });

  it('refuses a malformed batch naming the input', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    const bad = { data: new Float32Array(16), shape: [1, 2, 2, 4] as const };
    await expect(PreviewImage.run({ images: bad }, testContext(t.storage))).rejects.toThrow(/^input "images": .*4 channels/);
  });
});
