// The diffusion nodes wired as a user would (CoSINE-style: sample, invert, slerp, re-sample,
// save) and run by the engine: events, previews, cache reuse, errors and interrupt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '../server/storage.ts';
import { executePrompt, OutputCache, validatePrompt, type EngineEvent } from '../server/engine/index.ts';
import { tinyModelDir } from '../server/diffusion/pipeline/model.testing.ts';
import { NodeRegistry } from '../server/engine/registry.ts';
import type { ApiPrompt, Storage } from './define.ts';
import LoadModel from './load-model.ts';
import Sample from './sample.ts';
import DDIMInvert from './ddim-invert.ts';
import SlerpNoise from './slerp-noise.ts';
import RandomNoise from './random-noise.ts';
import VAEEncode from './vae-encode.ts';
import VAEDecode from './vae-decode.ts';
import SaveImage from './save-image.ts';

let root: string;
let storage: Storage;
const registry = new NodeRegistry([LoadModel, Sample, DDIMInvert, SlerpNoise, RandomNoise, VAEEncode, VAEDecode, SaveImage] as never[]);
const cache = new OutputCache(1 << 30);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'svdiff-wf-'));
  storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
  cpSync(await tinyModelDir(), join(root, 'models', 'svdiff-shapes'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sampler = (extra: Record<string, unknown>) => ({
  class_type: 'Sample',
  inputs: { model: ['1', 0], prompt: 'a red circle', negative_prompt: '', steps: 4, guidance_scale: 2, eta: 0, seed: 5, width: 8, height: 8, batch_size: 1, ...extra },
});

const prompt: ApiPrompt = {
  '1': { class_type: 'LoadModel', inputs: { model_name: 'svdiff-shapes', device: 'default' } },
  '2': { class_type: 'RandomNoise', inputs: { model: ['1', 0], width: 8, height: 8, batch_size: 1, seed: 5 } },
  '3': sampler({ latent: ['2', 0] }),
  '4': { class_type: 'DDIMInvert', inputs: { model: ['1', 0], image: ['3', 0], prompt: 'a red circle', negative_prompt: '', steps: 4, guidance_scale: 1 } },
  '5': { class_type: 'SlerpNoise', inputs: { latent: ['4', 0], seed: 1, alpha: 0.2 } },
  '6': sampler({ latent: ['5', 0], prompt: 'a blue circle' }),
  '7': { class_type: 'SaveImage', inputs: { images: ['6', 0], filename_prefix: 'edit' } },
};

async function run(p: ApiPrompt, signal = new AbortController().signal, onEvent?: (e: EngineEvent) => void) {
  const v = await validatePrompt(p, registry, { storage });
  expect(v.node_errors).toEqual({});
  const events: EngineEvent[] = [];
  const result = await executePrompt(
    { promptId: 'p1', prompt: p, extraData: { preview_method: 'auto' }, outputs: v.outputs },
    { registry, cache, storage, runtime: { device: 'cpu' }, signal, emit: (e) => { events.push(e); onEvent?.(e); }, log: () => {} },
  );
  return { result, events };
}

describe('diffusion workflow through the engine', () => {
  it('runs sample → invert → slerp → sample → save, with progress and previews, then re-runs from the cache', async () => {
    const { result, events } = await run(prompt);
    expect(result.status).toBe('success');
    expect(result.executed).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    const saved = result.outputs['7'].images![0];
    expect(existsSync(join(storage.outputDir, saved.filename))).toBe(true);
    expect(events.some((e) => e.type === 'progress' && (e.data as { node: string }).node === '4')).toBe(true);
    expect(events.some((e) => e.type === 'preview')).toBe(true);
    const again = await run(prompt);
    expect(again.result.executed).toEqual([]);
    expect(again.result.cached).toHaveLength(7);
  });

  it('reports a bad input as an execution error of that node', async () => {
    const { result } = await run({ ...prompt, '6': sampler({ latent: ['5', 0], prompt: '' }) });
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ node_id: '6', node_type: 'Sample', exception_message: expect.stringMatching(/^Node #6 \(Sample\): input "prompt": is empty/), input_name: 'prompt' });
  });

  it('stops a running Sample on interrupt', async () => {
    const ac = new AbortController();
    const p: ApiPrompt = { '1': prompt['1'], '3': sampler({ steps: 50, seed: 77 }), '9': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'x' } } };
    const { result } = await run(p, ac.signal, (e) => { if (e.type === 'progress') ac.abort(); });
    expect(result.status).toBe('interrupted');
  });
});
