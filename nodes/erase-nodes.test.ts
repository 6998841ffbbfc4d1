// Erasing through the node interface on the tiny embedded architecture: Erase Concept streams
// step + loss and gives an ADAPTER; Save Adapter writes it under adapters/ and Load Adapter
// reads it back (same samples); Combine Adapters stacks strengths; Sample applies adapters
// (changing the target prompt's samples, leaving an unrelated prompt's alone under facilitated
// transport); bad inputs fail naming the input, and nothing is written on a failed save.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from '../server/storage.ts';
import { tinyModel } from '../server/diffusion/training/model.testing.ts';
import { InputError } from '../server/core/index.ts';
import type { AdapterStack } from '../server/adapters/index.ts';
import { makeShifts, type SpectralShifts } from '../server/spectral/index.ts';
import type { NodeContext, ProgressExtra, Storage } from './define.ts';
import Erase from './spm-train.ts';
import SaveAdapter from './save-adapter.ts';
import LoadAdapter from './load-adapter.ts';
import CombineAdapters from './combine-adapters.ts';
import Sample from './sample.ts';

const root = mkdtempSync(join(tmpdir(), 'svdiff-erase-nodes-'));
const storage: Storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context() {
  const progress: { value: number; max: number; extra?: ProgressExtra }[] = [];
  const logs: string[] = [];
  const ctx: NodeContext = {
    promptId: 'p', nodeId: '4', signal: new AbortController().signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {}, previews: false,
    progress: (value, max, extra) => void progress.push({ value, max, extra }),
    log: (m) => void logs.push(m),
  };
  return { ctx, progress, logs };
}

const defaults = (inputs: Record<string, unknown>) => Object.fromEntries(Object.entries(inputs).filter(([, s]) => 'default' in (s as object)).map(([k, s]) => [k, (s as { default: unknown }).default]));

async function sample(prompt: string, adapters?: AdapterStack, transport = true, shifts?: SpectralShifts): Promise<Float32Array> {
  const { model } = await tinyModel();
  const i = { ...defaults(Sample.inputs), model, prompt, steps: 3, guidance_scale: 2, seed: 4, width: 16, height: 16, batch_size: 1, latent: undefined, shifts, adapters, facilitated_transport: transport } as Parameters<typeof Sample.run>[0];
  return ((await Sample.run(i, context().ctx)).outputs[0] as { data: Float32Array }).data;
}

const differ = (a: Float32Array, b: Float32Array) => a.some((v, i) => Math.abs(v - b[i]) > 1e-4);

describe('erasing nodes', () => {
  let erased: AdapterStack;

  it('Erase Concept streams progress and returns an adapter', async () => {
    const { model } = await tinyModel();
    const { ctx, progress } = context();
    const i = { ...defaults(Erase.inputs), model, concept: 'circle', steps: 20, learning_rate: 0.02, svd: undefined } as Parameters<typeof Erase.run>[0];
    erased = (await Erase.run(i, ctx)).outputs[0] as AdapterStack;
    expect(progress.at(-1)).toMatchObject({ value: 20, max: 20 });
    expect(typeof progress[0].extra?.loss).toBe('number');
    expect(erased.uses).toHaveLength(1);
    expect(erased.uses[0].adapter.concepts).toEqual(['circle']);
  }, 120_000);

  it('Sample applies it to the concept\'s prompts; facilitated transport spares an unrelated prompt', async () => {
    expect(differ(await sample('a red circle', erased), await sample('a red circle'))).toBe(true);
    expect(await sample('a blue square', erased)).toEqual(await sample('a blue square'));
    expect(differ(await sample('a blue square', erased, false), await sample('a blue square'))).toBe(true);
  }, 120_000);

  it('adapters compose with spectral shifts (the samples differ from either alone)', async () => {
    const { model, svd } = await tinyModel();
    const deltas = new Map([...svd.layers.values()].map((l) => [l.name, Float32Array.from({ length: l.k }, (_, i) => 0.3 * Math.sin(i + l.k))]));
    const shifts = makeShifts(model.contentHash, deltas);
    const both = await sample('a red circle', erased, true, shifts);
    expect(differ(both, await sample('a red circle', erased))).toBe(true);
    expect(differ(both, await sample('a red circle', undefined, true, shifts))).toBe(true);
  }, 120_000);

  it('Save Adapter and Load Adapter round-trip; Combine Adapters stacks strengths', async () => {
    const { model } = await tinyModel();
    await SaveAdapter.run({ adapter: erased, filename_prefix: 'spm/circle', precision: 'fp32' }, context().ctx);
    expect(existsSync(join(storage.adaptersDir, 'spm/circle.safetensors'))).toBe(true);
    const half = await SaveAdapter.run({ adapter: erased, filename_prefix: 'spm/circle-fp16', precision: 'fp16' }, context().ctx);
    expect((half.ui!.adapters as { bytes: number }[])[0].bytes).toBeLessThan(statSync(join(storage.adaptersDir, 'spm/circle.safetensors')).size);
    expect(await LoadAdapter.validate!({ adapter_file: 'spm/circle.safetensors' } as never, { storage } as never)).toEqual({});
    const loaded = (await LoadAdapter.run({ model, adapter_file: 'spm/circle.safetensors', strength: 1 }, context().ctx)).outputs[0] as AdapterStack;
    expect(await sample('a red circle', loaded)).toEqual(await sample('a red circle', erased));
    const both = (await CombineAdapters.run({ adapter_a: loaded, adapter_b: erased, strength_a: 0.5, strength_b: 2 }, context().ctx)).outputs[0] as AdapterStack;
    expect(both.uses.map((u) => u.strength)).toEqual([0.5, 2]);
  }, 120_000);

  it('bad inputs name the input; a failed save writes nothing', async () => {
    const { model } = await tinyModel();
    const run = (over: Record<string, unknown>) => Erase.run({ ...defaults(Erase.inputs), model, svd: undefined, ...over } as Parameters<typeof Erase.run>[0], context().ctx);
    await expect(run({ concept: '' })).rejects.toMatchObject({ input: 'concept' });
    await expect(run({ concept: 'circle', anchor_similarity_min: 0.9, anchor_similarity_max: 0.1 })).rejects.toBeInstanceOf(InputError);
    expect(SaveAdapter.validate!({ adapter: erased, filename_prefix: '../escape' } as never, { storage } as never)).toMatchObject({ filename_prefix: expect.stringMatching(/not usable/) });
    await expect(SaveAdapter.run({ adapter: { uses: [] }, filename_prefix: 'empty', precision: 'fp16' }, context().ctx)).rejects.toMatchObject({ input: 'adapter' });
    expect(existsSync(join(storage.adaptersDir, 'empty.safetensors'))).toBe(false);
    // Values fp16 cannot hold: the precision input is named, nothing written.
    const [l0] = erased.uses[0].adapter.layers.values();
    const huge: AdapterStack = { uses: [{ ...erased.uses[0], adapter: { ...erased.uses[0].adapter, layers: new Map([[l0.name, { ...l0, up: l0.up.map(() => 1e6) }]]) } }] };
    await expect(SaveAdapter.run({ adapter: huge, filename_prefix: 'huge', precision: 'fp16' }, context().ctx)).rejects.toMatchObject({ input: 'precision', message: expect.stringMatching(/beyond fp16's range.*fp32/) });
    expect(existsSync(join(storage.adaptersDir, 'huge.safetensors'))).toBe(false);
    writeFileSync(join(storage.adaptersDir, 'broken.safetensors'), 'not safetensors');
    await expect(LoadAdapter.run({ model, adapter_file: 'broken.safetensors', strength: 1 }, context().ctx)).rejects.toMatchObject({ input: 'adapter_file' });
    // An adapter whose layer the model lacks: Sample names its adapters input.
    const [first] = erased.uses[0].adapter.layers.values();
    const alien: AdapterStack = { uses: [{ adapter: { ...erased.uses[0].adapter, layers: new Map([['no.such.layer', { ...first, name: 'no.such.layer' }]]) }, strength: 1, label: 'alien' }] };
    await expect(sample('a red circle', alien)).rejects.toMatchObject({ input: 'adapters' });
    // A spectral adapter that does not fit, beside shifts that do: the adapters input is named, not shifts.
    const { svd } = await tinyModel();
    const [layer] = svd.layers.values();
    const shifts = makeShifts((await tinyModel()).model.contentHash, new Map([[layer.name, new Float32Array(layer.k)]]));
    const short: AdapterStack = { uses: [{ adapter: { ...erased.uses[0].adapter, layers: new Map(), spectral: makeShifts('elsewhere', new Map([[layer.name, new Float32Array(layer.k + 1)]])) }, strength: 1, label: 'short' }] };
    await expect(sample('a red circle', short, false, shifts)).rejects.toMatchObject({ input: 'adapters', message: expect.stringMatching(/short: layer .* has \d+ shift values; the model's layer has \d+ singular values/) });
  }, 120_000);
});
