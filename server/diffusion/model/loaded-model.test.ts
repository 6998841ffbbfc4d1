import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel, ort, tensorToArray } from '../../onnx/index.ts';
import { LoadedModel } from './loaded-model.ts';
import { tinyModelDir, writeGaussianUnet } from '../pipeline/model.testing.ts';

/** Renames a graph input (and its uses) in a part's model file. */
function renameInput(dir: string, part: string, from: string, to: string): void {
  const file = join(dir, part, 'model.onnx');
  const m = loadModel(file);
  for (const v of m.graph!.input!) if (v.name === from) v.name = to;
  for (const n of m.graph!.node!) n.input = n.input!.map((x) => (x === from ? to : x));
  saveModel(m, file, { location: 'model.onnx_data' });
}

async function runUnet(model: LoadedModel, session: ort.InferenceSession, fill = 0.5): Promise<Float32Array> {
  const [c, L, D] = [model.latentChannels, model.tokenizer.maxLength, model.geometry.textDim!];
  const out = await session.run({
    sample: new ort.Tensor('float32', new Float32Array(c * 16).fill(fill), [1, c, 4, 4]),
    timestep: new ort.Tensor('float32', Float32Array.of(500), [1]),
    encoder_hidden_states: new ort.Tensor('float32', new Float32Array(L * D).fill(0.1), [1, L, D]),
  });
  return out.out_sample.data as Float32Array;
}

describe('LoadedModel', () => {
  let dir: string;
  let model: LoadedModel;
  beforeAll(async () => {
    dir = await tinyModelDir();
    model = await LoadedModel.load(dir, { hashIndexPath: join(dir, '..', 'hashes.json'), writeFileAtomic: async (p, d) => writeFileSync(p, d) });
  });

  it('reads geometry, tokenizer, scheduler and a content hash', async () => {
    expect(model.name).toBe('tiny');
    expect(model.latentChannels).toBe(12); // 2×2 SpaceToDepth of RGB
    expect(model.downscale).toBe(2);
    expect(model.vaeScalingFactor).toBe(1);
    expect(model.geometry.textDim).toBe(8);
    expect(model.config.scheduler.betaSchedule).toBe('linear');
    expect(model.tokenizer.kind).toBe('word-level');
    expect(model.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(model.byteSize).toBeLessThan(1 << 16);
    expect(model.io.vae_encoder.outputNames).toEqual(['latent_sample']);
    // The digest index is written and reused: same hash on reload.
    expect(existsSync(join(dir, '..', 'hashes.json'))).toBe(true);
    const again = await LoadedModel.load(dir, { hashIndexPath: join(dir, '..', 'hashes.json') });
    expect(again.contentHash).toBe(model.contentHash);
  });

  it('opens each part once and reuses the session', async () => {
    const a = await model.session('unet');
    const b = await model.session('unet');
    expect(a).toBe(b);
    expect(model.sessionStats('unet').created).toBe(1);
  });

  it('bakes replaced initializers into a cached session variant', async () => {
    const base = await runUnet(model, await model.session('unet'));
    const proto = loadModel(model.layout.parts.unet);
    const t = proto.graph!.initializer!.find((x) => x.name === 'conv_out.bias')!;
    const bias = tensorToArray(t) as Float32Array;
    const shifted = bias.map((v) => v + 1);
    const s1 = await model.session('unet', { overrides: new Map([['conv_out.bias', shifted]]), overridesKey: 'plus-one' });
    const out = await runUnet(model, s1);
    // conv_out.bias adds to each output channel: exactly +1 everywhere (up to rounding).
    for (let i = 0; i < out.length; i++) expect(out[i] - base[i]).toBeCloseTo(1, 4);
    const s2 = await model.session('unet', { overrides: new Map([['conv_out.bias', shifted]]), overridesKey: 'plus-one' });
    expect(s2).toBe(s1);
    // Without a key the content decides: equal overrides share one session.
    const k1 = await model.session('unet', { overrides: new Map([['conv_out.bias', bias.map((v) => v * 2)]]) });
    const k2 = await model.session('unet', { overrides: new Map([['conv_out.bias', bias.map((v) => v * 2)]]) });
    expect(k2).toBe(k1);
    // The plain session is untouched.
    expect(await runUnet(model, await model.session('unet'))).toEqual(base);
  });

  it('keeps a few variants, least recently used dropped', async () => {
    const m = await LoadedModel.load(dir, { maxOverrideSessions: 2 });
    const bias = tensorToArray(loadModel(m.layout.parts.unet).graph!.initializer!.find((x) => x.name === 'conv_out.bias')!) as Float32Array;
    const before = m.sessionStats('unet').created;
    const ask = (k: string, v: number) => m.session('unet', { overrides: new Map([['conv_out.bias', bias.map(() => v)]]), overridesKey: k });
    await ask('a', 1);
    await ask('b', 2);
    await ask('a', 1);
    await ask('c', 3);
    expect(m.sessionStats('unet').variants).toEqual(['a', 'c']);
    expect(m.sessionStats('unet').created - before).toBe(3);
    await m.release();
  });

  it('rejects overrides that do not fit', async () => {
    await expect(model.session('unet', { overrides: new Map([['nope', new Float32Array(1)]]) })).rejects.toThrow(/unet: no initializer named nope/);
    await expect(model.session('unet', { overrides: new Map([['conv_out.bias', new Float32Array(3)]]) })).rejects.toThrow(/has 3 values, the initializer has 12/);
  });

  it('runs fp16 models: float16 I/O, int64 timestep, float16 weight overrides', async () => {
    const d = await tinyModelDir();
    writeGaussianUnet(d, { channels: 12, textDim: 8, fp16: true, textGain: 0.5 });
    const m = await LoadedModel.load(d);
    const r = await m.runner('unet');
    expect(r.inputType('timestep')).toBe('int64');
    expect(r.inputType('sample')).toBe('float16');
    const feeds = (runner: typeof r) => ({
      sample: runner.floatTensor('sample', new Float32Array(12 * 4).fill(1), [1, 12, 2, 2]),
      timestep: runner.timestepTensor('timestep', 999, 1),
      encoder_hidden_states: runner.floatTensor('encoder_hidden_states', new Float32Array(8 * 8).fill(1), [1, 8, 8]),
    });
    const out = await r.run(feeds(r));
    expect(out.data).toBeInstanceOf(Float32Array);
    // ε = sqrt(1−ᾱ)·(x − sqrt(ᾱ)·gain·feature) for unit data variance; x = feature = 1.
    const a = m.scheduler().alphaCumprod(999);
    const eps = (gain: number) => Math.sqrt(1 - a) * (1 - Math.sqrt(a) * gain);
    expect(out.data[0]).toBeCloseTo(eps(0.5), 2);
    const r2 = await m.runner('unet', { overrides: new Map([['text_gain', Float32Array.of(2)]]), overridesKey: 'g2' });
    expect((await r2.run(feeds(r2))).data[0]).toBeCloseTo(eps(2), 2);
  });
});

describe('LoadedModel.load errors', () => {
  it('names missing parts', async () => {
    const d = await tinyModelDir();
    rmSync(join(d, 'vae_decoder'), { recursive: true });
    rmSync(join(d, 'tokenizer'), { recursive: true });
    await expect(LoadedModel.load(d)).rejects.toThrow(/missing vae_decoder\/model\.onnx, tokenizer\//);
  });

  it('names a wrong input name', async () => {
    const d = await tinyModelDir();
    renameInput(d, 'text_encoder', 'input_ids', 'ids');
    await expect(LoadedModel.load(d)).rejects.toThrow(/text_encoder: no input named input_ids \(has ids\)/);
  });

  it('names a wrong rank and a broken scheduler config', async () => {
    const d = await tinyModelDir();
    const file = join(d, 'unet', 'model.onnx');
    const m = loadModel(file);
    const ts = m.graph!.input!.find((v) => v.name === 'timestep')!;
    ts.type!.tensorType!.shape!.dim!.push({ dimValue: 1 });
    saveModel(m, file, { location: 'model.onnx_data' });
    await expect(LoadedModel.load(d)).rejects.toThrow(/unet: input timestep has rank 2, expected 1/);
    const d2 = await tinyModelDir();
    const cfg = join(d2, 'scheduler', 'scheduler_config.json');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8')), beta_schedule: 'cosine-ish' }));
    await expect(LoadedModel.load(d2)).rejects.toThrow(/beta_schedule/);
  });
});
