import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import SaveImage from './save-image.ts';
import { decodePng, readPngText, stackImages } from '../server/image/index.ts';
import { gradient, tempStorage, testContext } from '../server/image/image.testing.ts';
import type { ApiPrompt, Storage } from './define.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function setup(): Storage {
  const t = tempStorage();
  cleanup = t.cleanup;
  return t.storage;
}

const prompt: ApiPrompt = {
  '3': { class_type: 'Sample', inputs: { seed: 42, prompt: 'a sks dog on the beach — été 🐕' } },
  '9': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'svdiff' } },
};
const workflow = { last_node_id: 9, last_link_id: 1, nodes: [{ id: 9, type: 'SaveImage', title: 'Sauvegarde' }], links: [[1, 3, 0, 9, 0, 'IMAGE']], groups: [], config: {}, extra: {}, version: 0.4 };

describe('SaveImage', () => {
  it('is an output node with no outputs', () => {
    expect(SaveImage.outputNode).toBe(true);
    expect(SaveImage.outputs).toEqual([]);
    expect(SaveImage.inputs.filename_prefix.default).toBe('svdiff');
  });

  it('writes PNGs that carry the prompt and the workflow (tEXt) for the client to restore', async () => {
    const storage = setup();
    const ctx = testContext(storage, { prompt, extraData: { extra_pnginfo: { workflow } } });
    const images = stackImages([gradient(5, 4, 1), gradient(5, 4, 2)]);
    const res = await SaveImage.run({ images, filename_prefix: 'svdiff' }, ctx);
    expect(res.outputs).toEqual([]);
    expect(res.ui).toEqual({
      images: [
        { filename: 'svdiff_00001_.png', subfolder: '', type: 'output' },
        { filename: 'svdiff_00002_.png', subfolder: '', type: 'output' },
      ],
    });
    const file = readFileSync(join(storage.outputDir, 'svdiff_00002_.png'));
    expect(decodePng(file).data).toEqual(gradient(5, 4, 2).data);
    const text = readPngText(file);
    expect(Object.keys(text).sort()).toEqual(['prompt', 'workflow']);
    expect(JSON.parse(text.prompt)).toEqual(prompt);
    expect(JSON.parse(text.workflow)).toEqual(workflow);
    // Plain tEXt (ASCII), the chunk ComfyUI-style clients read.
    expect(file.includes(Buffer.from('tEXtprompt\0'))).toBe(true);
    expect(file.includes(Buffer.from('tEXtworkflow\0'))).toBe(true);
  });

  it('without a workflow only the prompt is embedded', async () => {
    const storage = setup();
    await SaveImage.run({ images: stackImages([gradient(2, 2)]), filename_prefix: 'x' }, testContext(storage, { prompt }));
    expect(Object.keys(readPngText(readFileSync(join(storage.outputDir, 'x_00001_.png'))))).toEqual(['prompt']);
  });

  it('continues the counter after existing files, in sub-folders', async () => {
    const storage = setup();
    mkdirSync(join(storage.outputDir, 'portraits'));
    writeFileSync(join(storage.outputDir, 'portraits', 'dog_00041_.png'), 'old');
    const ctx = testContext(storage, { prompt });
    const images = stackImages([gradient(2, 2)]);
    const res = await SaveImage.run({ images, filename_prefix: 'portraits/dog' }, ctx);
    expect(res.ui?.images).toEqual([{ filename: 'dog_00042_.png', subfolder: 'portraits', type: 'output' }]);
    const again = await SaveImage.run({ images, filename_prefix: 'portraits/dog' }, ctx);
    expect(again.ui?.images?.[0].filename).toBe('dog_00043_.png');
    expect(readFileSync(join(storage.outputDir, 'portraits', 'dog_00041_.png'), 'utf8')).toBe('old');
  });

  it('refuses prefixes that leave output/, naming the node and the input', async () => {
    const storage = setup();
    const images = stackImages([gradient(2, 2)]);
    await expect(SaveImage.run({ images, filename_prefix: '../escape' }, testContext(storage))).rejects.toThrow(
      /^input "filename_prefix": "..\/escape" would leave the output folder/,
    );
    await expect(SaveImage.run({ images, filename_prefix: '/tmp/x' }, testContext(storage))).rejects.toThrow(/input "filename_prefix": .*absolute/);
    expect((await SaveImage.validate!({ filename_prefix: 'a/../../b' }, { storage })).filename_prefix).toMatch(/^is not usable: .*leave the output folder/);
    expect(SaveImage.validate!({ filename_prefix: 'ok/name' }, { storage })).toEqual({});
    expect(existsSync(join(storage.dataDir, 'escape_00001_.png'))).toBe(false);
  });

  it('refuses a malformed image batch', async () => {
    const storage = setup();
    const bad = { data: new Float32Array(3), shape: [1, 2, 2, 3] as const };
    await expect(SaveImage.run({ images: bad, filename_prefix: 'x' }, testContext(storage))).rejects.toThrow(/^input "images": IMAGE batch data has 3 values/);
  });
});
