// Load Model refuses a model folder the studio cannot use with a message naming the part, what
// is wrong and what to do, read from the graphs without loading weights: external weight files
// missing, truncated or outside the part's folder, and opsets ONNX Runtime does not run. A model
// loaded before keeps working. Each case is a copy of the tiny opset-14 fixture, broken one way.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import Sample from '../../nodes/sample.ts';
import type { ImageBatch } from '../../nodes/define.ts';
import type { Latent, LoadedModel } from '../../server/diffusion/index.ts';
import { DATA_LOCATION_EXTERNAL, decodeModelProto, encodeModelProto, loadModel, saveModel, type ModelProto } from '../../server/onnx/index.ts';
import { checkTrainable } from '../../server/diffusion/training/index.ts';
import { createStorage } from '../../server/storage.ts';
import { FIXTURES, nodeContext } from './sd15.testing.ts';

const root = mkdtempSync(join(tmpdir(), 'svdiff-refusals-'));
mkdirSync(join(root, 'models'));
const storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the opset-14 fixture in the models folder; returns the path of `part`'s model.onnx. */
function copy(name: string, part = 'unet'): string {
  cpSync(join(FIXTURES, 'opset14'), join(storage.modelsDir, name), { recursive: true });
  return join(storage.modelsDir, name, part, 'model.onnx');
}

/** optimum's layout: the part's weights moved to one model.onnx_data beside it. */
function externalize(file: string): string {
  saveModel(loadModel(file), file, { location: 'model.onnx_data' });
  return join(dirname(file), 'model.onnx_data');
}

/** torch's layout: one file per tensor of at least 1 KiB, named after it. Returns the file names. */
function externalizePerTensor(file: string): string[] {
  const m = loadModel(file);
  const names: string[] = [];
  for (const t of m.graph!.initializer ?? []) {
    if (!t.rawData || t.rawData.byteLength < 1024) continue;
    const name = t.name!.replace(/[^\w.-]/g, '_');
    writeFileSync(join(dirname(file), name), t.rawData);
    t.externalData = [{ key: 'location', value: name }, { key: 'offset', value: '0' }, { key: 'length', value: String(t.rawData.byteLength) }];
    t.dataLocation = DATA_LOCATION_EXTERNAL;
    delete t.rawData;
    names.push(name);
  }
  writeFileSync(file, encodeModelProto(m));
  return names;
}

function edit(file: string, f: (m: ModelProto) => void): void {
  const m = decodeModelProto(readFileSync(file));
  f(m);
  writeFileSync(file, encodeModelProto(m));
}

const setOpset = (file: string, version: number) =>
  edit(file, (m) => {
    m.opsetImport = (m.opsetImport ?? []).map((o) => (!o.domain || o.domain === 'ai.onnx' ? { ...o, version } : o));
  });

const load = async (name: string) => (await LoadModel.run({ model_name: name, device: 'cpu' }, nodeContext(storage))).outputs[0] as LoadedModel;
const refusal = (name: string) => LoadModel.run({ model_name: name, device: 'cpu' }, nodeContext(storage));
const prefix = (name: string) => `^input "model_name": "${name}" is not a usable model: `;

async function sample(model: LoadedModel, steps: number): Promise<ImageBatch> {
  const out = await Sample.run({ model, prompt: 'a photo of a sks dog', negative_prompt: '', steps, guidance_scale: 1, eta: 0, seed: 1, width: 64, height: 64, batch_size: 1, latent: undefined, shifts: undefined, shift_scale: 1, adapters: undefined, facilitated_transport: true }, nodeContext(storage));
  const [images, latent] = out.outputs as [ImageBatch, Latent];
  expect(latent.shape).toEqual([1, 4, 8, 8]);
  expect(images.data.every(Number.isFinite)).toBe(true);
  return images;
}

describe('Load Model refusals (opset14 fixture copies)', () => {
  let good: LoadedModel;
  let goodImage: ImageBatch;
  beforeAll(async () => {
    // Loaded first, and sampled again at the end: refusals of other folders leave it alone.
    externalize(copy('good'));
    good = await load('good');
    goodImage = await sample(good, 2);
  }, 120_000);

  it('loads a part whose weights are in model.onnx_data (optimum over 2 GB), and reads its opset', () => {
    expect(good.io.unet.opset).toBe(14);
    expect(good.io.unet.foreignOps).toEqual([]);
    expect(good.io.vae_decoder.opset).toBe(14);
  });

  it('model.onnx_data missing: names the file, what the graph keeps there, and where to copy it', async () => {
    rmSync(externalize(copy('no-data')));
    await expect(refusal('no-data')).rejects.toThrow(new RegExp(`${prefix('no-data')}unet: model\\.onnx_data is missing \\(the graph keeps \\d+ tensors, [\\d.]+ [kM]B, there\\); copy it beside unet/model\\.onnx$`));
  });

  it('model.onnx_data truncated: expected at least N bytes, has M', async () => {
    const data = externalize(copy('short-data'));
    const size = statSync(data).size;
    truncateSync(data, size - 100);
    await expect(refusal('short-data')).rejects.toThrow(new RegExp(`${prefix('short-data')}unet: model\\.onnx_data is truncated: expected at least ${size} bytes, has ${size - 100} .*copy it again beside unet/model\\.onnx$`));
  });

  it("torch's per-tensor files: one or several missing", async () => {
    const one = externalizePerTensor(copy('torch-one', 'vae_decoder'));
    expect(one.length).toBeGreaterThan(3);
    rmSync(join(storage.modelsDir, 'torch-one', 'vae_decoder', one[1]));
    await expect(refusal('torch-one')).rejects.toThrow(new RegExp(`${prefix('torch-one')}vae_decoder: ${one[1].replace(/\./g, '\\.')} is missing \\(the graph keeps 1 tensor, [\\d.]+ (bytes|kB), there\\); copy it beside vae_decoder/model\\.onnx$`));
    const all = externalizePerTensor(copy('torch-all', 'vae_decoder'));
    for (const f of all) rmSync(join(storage.modelsDir, 'torch-all', 'vae_decoder', f));
    await expect(refusal('torch-all')).rejects.toThrow(new RegExp(`${prefix('torch-all')}vae_decoder: ${all.length} of its external data files are missing \\(.*, …; the graph keeps ${all.length} tensors, .*, in them\\); copy them beside vae_decoder/model\\.onnx$`));
  });

  it('an external location outside the part folder (.. or absolute) is refused, even where the file exists', async () => {
    const file = copy('escape');
    const data = externalize(file);
    cpSync(data, join(dirname(data), '..', 'model.onnx_data'));
    const relocate = (location: string) =>
      edit(file, (m) => {
        const t = m.graph!.initializer!.find((x) => x.dataLocation === DATA_LOCATION_EXTERNAL)!;
        t.externalData = t.externalData!.map((e) => (e.key === 'location' ? { ...e, value: location } : e));
      });
    relocate('../model.onnx_data');
    await expect(refusal('escape')).rejects.toThrow(new RegExp(`${prefix('escape')}unet: tensor conv_in\\.weight keeps its weights outside unet/ \\(\\.\\./model\\.onnx_data\\); the studio reads a part's weights only from its own folder: put the file beside unet/model\\.onnx and re-export, or re-save`));
    relocate(data);
    await expect(refusal('escape')).rejects.toThrow(/unet: tensor conv_in\.weight keeps its weights at an absolute path \(\/.*\/model\.onnx_data\)/);
  });

  it('opsets ONNX Runtime does not run (below 7, above 26) are refused with what to re-export', async () => {
    setOpset(copy('opset6', 'text_encoder'), 6);
    await expect(refusal('opset6')).rejects.toThrow(new RegExp(`${prefix('opset6')}text_encoder: model\\.onnx is at opset 6, older than ONNX Runtime runs \\(7–26\\); re-export with --opset 14 \\(optimum's default\\) or 17$`));
    setOpset(copy('opset27', 'unet'), 27);
    await expect(refusal('opset27')).rejects.toThrow(/"opset27" is not a usable model: unet: model\.onnx is at opset 27, newer than this ONNX Runtime runs \(7–26\); re-export with --opset 14/);
  });

  it('opset 7–12 loads (inference runs there; training needs 13) and reports its opset', async () => {
    // Only the stamp changes (the graph's ops are opset 14's): Load Model reads, it opens no session.
    setOpset(copy('opset12', 'unet'), 12);
    const m = await load('opset12');
    expect(m.io.unet.opset).toBe(12);
    expect(m.io.text_encoder.opset).toBe(14);
    expect(() => checkTrainable(m, ['unet'])).toThrow(/^input "model": opset12's unet is at opset 12; training needs 13 or above: re-export with --opset 14/);
    expect(() => checkTrainable(m, ['text_encoder'])).not.toThrow();
  });

  it("ops of other domains (ORT's com.microsoft fused ops) load, are reported, and run", async () => {
    const file = copy('fused', 'text_encoder');
    edit(file, (m) => {
      const n = m.graph!.node!.find((x) => x.opType === 'MatMul' && !x.domain)!;
      n.opType = 'FusedMatMul'; // = MatMul with alpha 1, no transposes
      n.domain = 'com.microsoft';
      m.opsetImport = [...(m.opsetImport ?? []), { domain: 'com.microsoft', version: 1 }];
    });
    const m = await load('fused');
    expect(m.io.text_encoder.foreignOps).toEqual(['com.microsoft.FusedMatMul']);
    expect(() => checkTrainable(m, ['unet', 'text_encoder'])).toThrow(/^input "model": fused's text_encoder has ONNX Runtime-optimised ops \(com\.microsoft\.FusedMatMul\) that training cannot differentiate; train on an export made without --optimize/);
    expect(() => checkTrainable(m, ['unet'])).not.toThrow();
    // Same weights as `good`: the same image.
    const img = await sample(m, 2);
    let d = 0;
    for (let i = 0; i < img.data.length; i++) d = Math.max(d, Math.abs(img.data[i] - goodImage.data[i]));
    expect(d).toBeLessThan(1e-3);
  }, 60_000);

  it('the model loaded before still samples', async () => {
    const again = await sample(good, 2);
    expect(Buffer.from(again.data.buffer).equals(Buffer.from(goodImage.data.buffer))).toBe(true);
  }, 60_000);
});
