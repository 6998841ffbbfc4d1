// The image nodes through the real engine: validation messages, a load → scale → grid → save
// run, and the cache following the input file's content.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeRegistry } from '../server/engine/registry.ts';
import LoadImage from './load-image.ts';
import LoadImages from './load-images.ts';
import ImageScale from './image-scale.ts';
import ImageGrid from './image-grid.ts';
import SaveImage from './save-image.ts';
import type { ApiPrompt, NodeDefinition, Storage } from './define.ts';
import { OutputCache, executePrompt, validatePrompt } from '../server/engine/index.ts';
import { decodePng, encodePng, readPngText } from '../server/image/index.ts';
import { gradient, tempStorage } from '../server/image/image.testing.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

const registry = new NodeRegistry([LoadImage, LoadImages, ImageScale, ImageGrid, SaveImage] as unknown as NodeDefinition[]);

function setup(): Storage {
  const t = tempStorage();
  cleanup = t.cleanup;
  writeFileSync(join(t.storage.inputDir, 'cat.png'), encodePng(gradient(8, 8, 1).data, 8, 8));
  writeFileSync(join(t.storage.inputDir, 'broken.png'), 'nope');
  mkdirSync(join(t.storage.inputDir, 'mixed'));
  writeFileSync(join(t.storage.inputDir, 'mixed', 'a.png'), encodePng(gradient(4, 4).data, 4, 4));
  writeFileSync(join(t.storage.inputDir, 'mixed', 'b.png'), encodePng(gradient(4, 2).data, 4, 2));
  return t.storage;
}

const prompt: ApiPrompt = {
  '1': { class_type: 'LoadImage', inputs: { image: 'cat.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'area', width: 4, height: 4, crop: 'disabled' } },
  '3': { class_type: 'ImageGrid', inputs: { images: ['2', 0], columns: 2 } },
  '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'wf/cat' } },
};

async function execute(storage: Storage, cache: OutputCache, p: ApiPrompt = prompt) {
  const v = await validatePrompt(p, registry, { storage });
  expect(v.node_errors).toEqual({});
  return executePrompt(
    { promptId: 'p', prompt: p, extraData: { extra_pnginfo: { workflow: { nodes: [1, 2] } } }, outputs: v.outputs },
    { registry, cache, storage, runtime: { device: 'cpu' }, emit: () => {}, signal: new AbortController().signal },
  );
}

describe('image nodes in the engine', () => {
  it('report bad files and sizes at validation, naming node and input', async () => {
    const storage = setup();
    const bad: ApiPrompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'broken.png' } },
      '2': { class_type: 'LoadImages', inputs: { folder: 'mixed', resize: 'refuse' } },
      '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: '../out' } },
      '4': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'ok' } },
    };
    const v = await validatePrompt(bad, registry, { storage });
    const messages = Object.values(v.node_errors).flatMap((e) => e.errors.map((x) => x.message));
    expect(messages.some((m) => /LoadImage.*input "image": cannot be loaded: cannot read "broken.png" as an image/.test(m))).toBe(true);
    expect(messages.some((m) => /LoadImages.*input "folder": cannot be loaded: "mixed\/b.png" is 4×2 but "mixed\/a.png" is 4×4/.test(m))).toBe(true);
    expect(messages.some((m) => /SaveImage.*input "filename_prefix": is not usable: .*leave the output folder/.test(m))).toBe(true);
    // A missing file is not among LoadImage's options: the engine refuses it before validate().
    const missing = await validatePrompt(
      { '1': { class_type: 'LoadImage', inputs: { image: 'gone.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } },
      registry,
      { storage },
    );
    expect(missing.node_errors['1'].errors[0].message).toMatch(/LoadImage.*input "image": is "gone.png", not one of the options/);
  });

  it('runs load → scale → grid → save, and re-runs only when the file changes', async () => {
    const storage = setup();
    const cache = new OutputCache(1 << 30);
    const r1 = await execute(storage, cache);
    expect(r1.status).toBe('success');
    expect(r1.outputs['4']).toEqual({ images: [{ filename: 'cat_00001_.png', subfolder: 'wf', type: 'output' }] });
    const file = readFileSync(join(storage.outputDir, 'wf', 'cat_00001_.png'));
    expect(decodePng(file).width).toBe(4);
    expect(JSON.parse(readPngText(file).prompt)).toEqual(prompt);
    expect(JSON.parse(readPngText(file).workflow)).toEqual({ nodes: [1, 2] });

    const r2 = await execute(storage, cache);
    expect(r2.executed).toEqual([]);

    writeFileSync(join(storage.inputDir, 'cat.png'), encodePng(gradient(8, 8, 7).data, 8, 8));
    const r3 = await execute(storage, cache);
    expect(r3.executed).toEqual(['1', '2', '3', '4']);
    expect(r3.outputs['4']).toEqual({ images: [{ filename: 'cat_00002_.png', subfolder: 'wf', type: 'output' }] });
  });
});
