// The spectral nodes through the real engine: LoadModel → SVDDecompose → LoadShifts →
// CombineShifts → SaveShifts, validation of a missing shift file, and LoadShifts re-running
// when the file changes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry } from '../server/engine/registry.ts';
import LoadModel from './load-model.ts';
import SVDDecompose from './svd-decompose.ts';
import LoadShifts from './load-shifts.ts';
import SaveShifts from './save-shifts.ts';
import CombineShifts from './combine-shifts.ts';
import type { ApiPrompt, NodeDefinition, Storage } from './define.ts';
import { OutputCache, executePrompt, validatePrompt } from '../server/engine/index.ts';
import { LoadedModel } from '../server/diffusion/index.ts';
import { TINY_TEST_CONFIG, writeEmbeddedModel } from '../research/embedded-model/index.ts';
import { tempModelStorage } from '../server/spectral/storage.testing.ts';
import { decomposeModel, encodeShiftFile, makeShifts, parseSafetensors, f32FromBytes } from '../server/spectral/index.ts';

const registry = new NodeRegistry([LoadModel, SVDDecompose, LoadShifts, SaveShifts, CombineShifts] as unknown as NodeDefinition[]);
let storage: Storage;
let cleanup: () => void;
let hash: string;
let attnLayers: [string, number][];

beforeAll(async () => {
  ({ storage, cleanup } = tempModelStorage());
  await writeEmbeddedModel(join(storage.modelsDir, 'tiny'), TINY_TEST_CONFIG, { seed: 5 });
  const m = await LoadedModel.load(join(storage.modelsDir, 'tiny'));
  hash = m.contentHash;
  const { svd } = await decomposeModel(m, { parts: ['unet'], layers: 'attention', nameFilter: '' });
  attnLayers = [...svd.layers.values()].map((l) => [l.name, l.k]);
  await m.release();
});
afterAll(() => cleanup?.());

function writeShifts(name: string, value: number) {
  const shifts = makeShifts(hash, new Map(attnLayers.map(([n, k]) => [n, new Float32Array(k).fill(value)])));
  writeFileSync(join(storage.shiftsDir, name), encodeShiftFile(shifts));
}

const prompt: ApiPrompt = {
  '1': { class_type: 'LoadModel', inputs: { model_name: 'tiny', device: 'cpu' } },
  '2': { class_type: 'SVDDecompose', inputs: { model: ['1', 0], parts: 'unet', layers: 'attention', name_filter: '' } },
  '3': { class_type: 'LoadShifts', inputs: { model: ['1', 0], shift_file: 'a.safetensors', svd: ['2', 0] } },
  '4': { class_type: 'CombineShifts', inputs: { shifts_a: ['3', 0], mode: 'add', alpha: 0.5, weight_a: 1, weight_b: 1, scale: 2 } },
  '5': { class_type: 'SaveShifts', inputs: { shifts: ['4', 0], filename_prefix: 'wf/doubled' } },
};

async function execute(cache: OutputCache, p: ApiPrompt = prompt) {
  const v = await validatePrompt(p, registry, { storage });
  expect(v.node_errors).toEqual({});
  return executePrompt(
    { promptId: 'p', prompt: p, extraData: {}, outputs: v.outputs },
    { registry, cache, storage, runtime: { device: 'cpu' }, emit: () => {}, signal: new AbortController().signal },
  );
}

function savedValue(): number {
  const f = parseSafetensors(readFileSync(join(storage.shiftsDir, 'wf', 'doubled.safetensors')));
  expect(f.tensors.size).toBe(attnLayers.length);
  expect(f.metadata.svdiff_model_hash).toBe(hash);
  return f32FromBytes(f.tensors.get(`${attnLayers[0][0]}.delta`)!.bytes)[0];
}

describe('spectral nodes in the engine', () => {
  it('decompose → load → combine → save, re-running LoadShifts only when its file changes', async () => {
    writeShifts('a.safetensors', 0.25);
    const cache = new OutputCache(1 << 30);
    const r1 = await execute(cache);
    expect(r1.status).toBe('success');
    expect(r1.outputs['5']).toMatchObject({ shifts: [{ filename: 'doubled.safetensors', subfolder: 'wf', type: 'shifts' }] });
    expect(savedValue()).toBe(0.5);
    expect((await execute(cache)).executed).toEqual([]);
    writeShifts('a.safetensors', -1);
    const r3 = await execute(cache);
    expect(r3.executed).toEqual(['3', '4', '5']);
    expect(savedValue()).toBe(-2);
  });

  it('a shift file that is not in shifts/ is refused at validation, naming node and input', async () => {
    const bad = { ...prompt, '3': { class_type: 'LoadShifts', inputs: { model: ['1', 0], shift_file: 'missing.safetensors' } } };
    const v = await validatePrompt(bad, registry, { storage });
    const messages = Object.values(v.node_errors).flatMap((e) => e.errors.map((x) => x.message));
    expect(messages.some((m) => /LoadShifts.*shift_file.*missing\.safetensors/.test(m))).toBe(true);
  });
});
