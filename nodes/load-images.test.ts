import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import LoadImages from './load-images.ts';
import { encodePng } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ComboInput, ImageBatch, Storage } from './define.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function put(storage: Storage, name: string, w: number, h: number, seed: number): void {
  writeFileSync(join(storage.inputDir, name), encodePng(gradient(w, h, seed).data, w, h));
}

function setup(): Storage {
  const t = tempStorage();
  cleanup = t.cleanup;
  const s = t.storage;
  for (const d of ['dogs', 'dogs/extra', 'mixed', 'empty']) mkdirSync(join(s.inputDir, d));
  put(s, 'dogs/b.png', 8, 6, 2);
  put(s, 'dogs/a.png', 8, 6, 1);
  put(s, 'dogs/extra/z.png', 3, 3, 3); // a sub-folder is not part of "dogs"
  writeFileSync(join(s.inputDir, 'dogs', 'notes.txt'), 'ignored');
  put(s, 'mixed/1.png', 8, 8, 1);
  put(s, 'mixed/2.png', 16, 8, 2);
  put(s, 'top.png', 2, 2, 0);
  return s;
}

type Out = [ImageBatch, number];
const run = async (storage: Storage, folder: string, resize = 'refuse', signal?: AbortSignal) =>
  (await LoadImages.run({ folder, resize }, testContext(storage, { signal }))).outputs as Out;

describe('LoadImages', () => {
  it('offers the sub-folders of input/ that hold images', async () => {
    const storage = setup();
    const spec = LoadImages.inputs.folder as ComboInput;
    expect(typeof spec.options === 'function' && (await spec.options({ storage }))).toEqual(['dogs', 'dogs/extra', 'mixed']);
    expect(LoadImages.outputs.map((o) => o.type)).toEqual(['IMAGE', 'INT']);
  });

  it('loads the folder\'s images sorted by name as one batch, with the count', async () => {
    const storage = setup();
    const ctx = testContext(storage);
    const [batch, count] = (await LoadImages.run({ folder: 'dogs', resize: 'refuse' }, ctx)).outputs as Out;
    expect(count).toBe(2);
    expect(batch.shape).toEqual([2, 6, 8, 3]);
    expect(batch.data.subarray(0, 144)).toEqual(gradient(8, 6, 1).data);
    expect(batch.data.subarray(144)).toEqual(gradient(8, 6, 2).data);
    expect(ctx.progressCalls).toEqual([[1, 2], [2, 2]]);
  });

  it('refuses different sizes, naming the node and the file', async () => {
    const storage = setup();
    await expect(run(storage, 'mixed')).rejects.toThrow(/^input "folder": "mixed\/2.png" is 16×8 but "mixed\/1.png" is 8×8/);
    const v = await LoadImages.validate!({ folder: 'mixed', resize: 'refuse' }, { storage });
    expect(v.folder).toMatch(/^cannot be loaded: "mixed\/2.png" is 16×8/);
    expect(await LoadImages.validate!({ folder: 'mixed', resize: 'center-crop-resize' }, { storage })).toEqual({});
    expect(await LoadImages.validate!({ folder: 'dogs', resize: 'refuse' }, { storage })).toEqual({});
  });

  it('center-crop-resize fits every image to the first one\'s size', async () => {
    const storage = setup();
    const [batch, count] = await run(storage, 'mixed', 'center-crop-resize');
    expect(count).toBe(2);
    expect(batch.shape).toEqual([2, 8, 8, 3]);
    // 16×8 → centre 8×8 at x = 4, same size: pixels copied.
    const src = gradient(16, 8, 2);
    expect(batch.data[64 * 3]).toBe(src.data[4 * 3]);
    expect(batch.data[64 * 3 + 3 * 8 * 3 + 5 * 3 + 1]).toBe(src.data[(3 * 16 + 4 + 5) * 3 + 1]);
  });

  it('fails clearly for empty, missing, outside and undecodable folders', async () => {
    const storage = setup();
    await expect(run(storage, 'empty')).rejects.toThrow('input "folder": "empty" holds no PNG or JPEG images');
    await expect(run(storage, 'nope')).rejects.toThrow('input "folder": "nope" was not found in input/');
    await expect(run(storage, '../output')).rejects.toThrow(/input "folder": path "..\/output" is outside/);
    expect((await LoadImages.validate!({ folder: 'empty', resize: 'refuse' }, { storage })).folder).toBe('cannot be loaded: "empty" holds no PNG or JPEG images');
    writeFileSync(join(storage.inputDir, 'dogs', 'c.png'), 'garbage');
    await expect(run(storage, 'dogs')).rejects.toThrow(/input "folder": cannot read "dogs\/c.png" as an image/);
    expect((await LoadImages.validate!({ folder: 'dogs', resize: 'refuse' }, { storage })).folder).toMatch(/"dogs\/c.png" is not a readable image/);
    await expect(run(storage, 'mixed', 'stretch')).rejects.toThrow(/input "resize": unknown option "stretch"/);
  });

  it('fingerprint follows the folder content', async () => {
    const storage = setup();
    const env = { storage };
    const fp = await LoadImages.fingerprint!({ folder: 'dogs', resize: 'refuse' }, env);
    expect(await LoadImages.fingerprint!({ folder: 'dogs', resize: 'refuse' }, env)).toBe(fp);
    put(storage, 'dogs/c.png', 8, 6, 5);
    const fp2 = await LoadImages.fingerprint!({ folder: 'dogs', resize: 'refuse' }, env);
    expect(fp2).not.toBe(fp);
    put(storage, 'dogs/c.png', 8, 6, 6);
    expect(await LoadImages.fingerprint!({ folder: 'dogs', resize: 'refuse' }, env)).not.toBe(fp2);
  });

  it('stops when interrupted', async () => {
    const storage = setup();
    const ac = new AbortController();
    ac.abort();
    await expect(run(storage, 'dogs', 'refuse', ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
