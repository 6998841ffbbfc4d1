// Sample and DDIM Invert with a SHIFTS input: δ = 0 or scale 0 leave the output bit-identical,
// a non-zero δ changes it, shifts of another model are refused naming the input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '../server/storage.ts';
import { LoadedModel, type Latent } from '../server/diffusion/index.ts';
import { testImage, tinyModelDir } from '../server/diffusion/pipeline/model.testing.ts';
import { modelLayers } from '../server/spectral/model-layers.ts';
import { makeShifts, zeroShifts, type SpectralShifts } from '../server/spectral/shifts.ts';
import type { NodeContext, Storage } from './define.ts';
import Sample from './sample.ts';
import DDIMInvert from './ddim-invert.ts';

let root: string;
let storage: Storage;
let model: LoadedModel;

const ctx = (): NodeContext => ({
  promptId: 'p', nodeId: '1', signal: new AbortController().signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {}, previews: false,
  progress: () => {}, log: () => {},
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'svdiff-shifted-'));
  storage = createStorage({ dataDir: join(root, 'data') });
  model = await LoadedModel.load(await tinyModelDir());
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sample(shifts: SpectralShifts | undefined, shift_scale = 1): Promise<Float32Array> {
  const inputs = { model, shifts, shift_scale, latent: undefined, prompt: 'a red circle', negative_prompt: '', steps: 3, guidance_scale: 2, eta: 0, seed: 5, width: 8, height: 8, batch_size: 1, adapters: undefined, facilitated_transport: true };
  return ((await Sample.run(inputs, ctx())).outputs[1] as Latent).samples;
}

describe('SHIFTS on Sample and DDIMInvert', () => {
  it('zero shifts and scale 0 reproduce the plain output bit for bit; a shift changes it', async () => {
    const layers = modelLayers(model);
    const unetLayer = layers.find((l) => l.part === 'unet' && l.kind !== 'norm')!;
    const textLayer = layers.find((l) => l.part === 'text_encoder' && l.kind !== 'norm')!;
    const plain = await sample(undefined);
    expect(await sample(zeroShifts(model.contentHash, layers.map((l) => [l.name, l.k])))).toEqual(plain);
    const deltas = new Map([
      [unetLayer.name, new Float32Array(unetLayer.k).fill(0.5)],
      [textLayer.name, new Float32Array(textLayer.k).fill(-0.2)],
    ]);
    const shifted = makeShifts(model.contentHash, deltas);
    expect(await sample(shifted, 0)).toEqual(plain);
    const out = await sample(shifted, 1);
    expect(out).not.toEqual(plain);
    expect(out.every(Number.isFinite)).toBe(true);

    const inv = { model, image: testImage(8, 8), prompt: 'a red circle', negative_prompt: '', steps: 2, guidance_scale: 1, shift_scale: 1, adapters: undefined, facilitated_transport: true };
    const a = (await DDIMInvert.run({ ...inv, shifts: undefined }, ctx())).outputs[0] as Latent;
    const b = (await DDIMInvert.run({ ...inv, shifts: shifted }, ctx())).outputs[0] as Latent;
    expect(b.samples).not.toEqual(a.samples);
  });

  it('refuses shifts made for another model, naming the input', async () => {
    const other = zeroShifts('0'.repeat(64), [['conv_in', 4]]);
    await expect(sample(other)).rejects.toThrow(/^input "shifts": the shifts were made for model 0+, this model is/);
  });
});
