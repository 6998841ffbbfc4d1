import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import LoadImage from './load-image.ts';
import { encodePng } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ComboInput, ImageBatch, Storage } from './define.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function setup(): Storage {
  const t = tempStorage();
  cleanup = t.cleanup;
  const dir = t.storage.inputDir;
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'g.png'), encodePng(gradient(6, 4, 1).data, 6, 4));
  writeFileSync(join(dir, 'sub', 'x.png'), encodePng(gradient(3, 5, 2).data, 3, 5));
  writeFileSync(join(dir, 'bad.png'), 'this is not a png');
  const rgba = new Uint8Array(16 * 8 * 4).fill(128);
  writeFileSync(join(dir, 'photo.jpg'), jpeg.encode({ width: 16, height: 8, data: rgba }, 90).data);
  writeFileSync(join(t.storage.outputDir, 'out.png'), encodePng(gradient(1, 1).data, 1, 1));
  return t.storage;
}

const run = async (storage: Storage, image: string) => (await LoadImage.run({ image }, testContext(storage))).outputs[0] as ImageBatch;

describe('LoadImage', () => {
  it('offers the image files of input/, sub-folders included, and accepts uploads', async () => {
    const storage = setup();
    const spec = LoadImage.inputs.image as ComboInput;
    expect(spec.imageUpload).toBe(true);
    expect(typeof spec.options === 'function' && (await spec.options({ storage }))).toEqual(['bad.png', 'g.png', 'photo.jpg', 'sub/x.png']);
  });

  it('outputs a batch of one, exact for PNG', async () => {
    const storage = setup();
    const img = await run(storage, 'g.png');
    expect(img.shape).toEqual([1, 4, 6, 3]);
    expect(img.data).toEqual(gradient(6, 4, 1).data);
    expect((await run(storage, 'sub/x.png')).shape).toEqual([1, 5, 3, 3]);
    const photo = await run(storage, 'photo.jpg');
    expect(photo.shape).toEqual([1, 8, 16, 3]);
    expect(photo.data[0]).toBeCloseTo(128 / 255, 1);
  });

  it('fingerprints the content: same bytes, same key; new bytes, new key', async () => {
    const storage = setup();
    const env = { storage };
    const before = await LoadImage.fingerprint!({ image: 'g.png' }, env);
    expect(await LoadImage.fingerprint!({ image: 'g.png' }, env)).toBe(before);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(storage.inputDir, 'g.png'), encodePng(gradient(6, 4, 9).data, 6, 4));
    expect(await LoadImage.fingerprint!({ image: 'g.png' }, env)).not.toBe(before);
    expect(await LoadImage.fingerprint!({ image: 'gone.png' }, env)).toBe('unreadable:gone.png');
  });

  it('validates cheaply: missing, outside, undecodable', async () => {
    const storage = setup();
    const v = (image: string) => LoadImage.validate!({ image }, { storage });
    expect(await v('g.png')).toEqual({});
    expect(await v('photo.jpg')).toEqual({});
    expect((await v('gone.png')).image).toBe('cannot be loaded: "gone.png" was not found in input/');
    expect((await v('../output/out.png')).image).toMatch(/outside the input\/ folder/);
    expect((await v('bad.png')).image).toMatch(/cannot be loaded: cannot read "bad.png" as an image: not a PNG or JPEG image/);
    expect((await v('sub')).image).toMatch(/"sub" is a folder/);
  });

  it('run fails with errors naming the node and the input', async () => {
    const storage = setup();
    await expect(run(storage, 'gone.png')).rejects.toThrow('input "image": "gone.png" was not found in input/');
    await expect(run(storage, '../output/out.png')).rejects.toThrow(/^input "image": path "..\/output\/out.png" is outside the input\/ folder/);
    await expect(run(storage, '/etc/passwd')).rejects.toThrow(/input "image": path "\/etc\/passwd" is outside/);
    await expect(run(storage, 'bad.png')).rejects.toThrow(/input "image": cannot read "bad.png" as an image: not a PNG or JPEG/);
    const truncated = encodePng(gradient(6, 4).data, 6, 4).subarray(0, 50);
    writeFileSync(join(storage.inputDir, 'cut.png'), truncated);
    await expect(run(storage, 'cut.png')).rejects.toThrow(/input "image": cannot read "cut.png" as an image/);
  });
});
