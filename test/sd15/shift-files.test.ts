// Save / Load / Combine Shifts on SD 1.5's architecture as torch exports it: files are keyed by
// module path (`<module path>.delta`, svdiff-pytorch's form) even where the export renamed the
// weight (`onnx::MatMul_N`), load back exactly, combine, and move Sample's output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import CombineShifts from '../../nodes/combine-shifts.ts';
import LoadModel from '../../nodes/load-model.ts';
import LoadShifts from '../../nodes/load-shifts.ts';
import Sample from '../../nodes/sample.ts';
import SaveShifts from '../../nodes/save-shifts.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import type { ImageBatch } from '../../nodes/define.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import { makeShifts, mapReferenceKeys, parseSafetensors, type SpectralShifts, type SvdValue } from '../../server/spectral/index.ts';
import { fixtureStorage, nodeContext } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage(['opset14']);
afterAll(cleanup);

describe('shift files on the opset14 fixture', () => {
  it('save keyed by module path, load back exactly, combine, and sample with them', async () => {
    const ctx = nodeContext(storage);
    const model = (await LoadModel.run({ model_name: 'opset14', device: 'cpu' }, ctx)).outputs[0] as LoadedModel;
    const svd = (await SVDDecompose.run({ model, parts: 'unet+text_encoder', layers: 'all', name_filter: 'attn2\\.to_k|token_embedding|conv_in' }, ctx)).outputs[0] as SvdValue;
    // attn2.to_k's weight is `onnx::MatMul_N` in the export: its layer is named by module path.
    const toK = [...svd.layers.values()].find((l) => l.name === 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k')!;
    expect(toK.initializer).toMatch(/^onnx::MatMul_\d+$/);
    let seed = 1;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.5;
    const shifts = makeShifts(model.contentHash, new Map([...svd.layers.values()].map((l) => [l.name, Float32Array.from({ length: l.k }, next)])), {});

    await SaveShifts.run({ shifts, filename_prefix: 'dog' }, ctx);
    const keys = [...parseSafetensors(readFileSync(join(storage.shiftsDir, 'dog.safetensors'))).tensors.keys()].sort();
    expect(keys).toEqual([...svd.layers.keys()].map((n) => `${n}.delta`).sort());
    expect(keys).toContain('down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.delta');
    // svdiff-pytorch's keys are the same module paths: every one maps.
    const mapping = mapReferenceKeys(keys, svd.layers.keys());
    expect([mapping.mapped.size, mapping.unmapped, mapping.layersWithoutShift]).toEqual([keys.length, [], []]);

    const loaded = (await LoadShifts.run({ model, shift_file: 'dog.safetensors', svd }, ctx)).outputs[0] as SpectralShifts;
    for (const [name, d] of shifts.deltas) expect(loaded.deltas.get(name), name).toEqual(d);

    const half = (await CombineShifts.run({ shifts_a: loaded, shifts_b: undefined, mode: 'add', alpha: 0.5, weight_a: 1, weight_b: 1, scale: 0.5 }, ctx)).outputs[0] as SpectralShifts;
    for (const [name, d] of shifts.deltas) expect(half.deltas.get(name)![0], name).toBeCloseTo(d[0] / 2, 6);

    const sample = async (s?: SpectralShifts) => ((await Sample.run({
      model, shifts: s, latent: undefined, prompt: 'a photo of sks dog', negative_prompt: '', steps: 2, guidance_scale: 2, eta: 0, seed: 3,
      width: 64, height: 64, batch_size: 1, shift_scale: 1, adapters: undefined, facilitated_transport: true,
    }, ctx)).outputs[0] as ImageBatch).data;
    const [base, shifted] = [await sample(), await sample(half)];
    expect(shifted.every(Number.isFinite)).toBe(true);
    expect(Math.max(...shifted.map((v, i) => Math.abs(v - base[i])))).toBeGreaterThan(1e-4);
  }, 120_000);
});
