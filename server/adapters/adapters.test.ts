// Adapters on the tiny embedded architecture: the training form is the identity at up = 0 and
// equals the baked inference form otherwise (every linear and conv layer at once); a conv
// adapter's baked weight equals W + (alpha/r)·up·down written out by hand; files round-trip with
// kohya's key names and map onto the model (F16 LoRA, a text-encoder key reported); facilitated
// transport is 0 for an unrelated prompt and 1 for one that names the concept.
import { describe, expect, it } from 'vitest';
import { createSession } from '../onnx/index.ts';
import { tinyModel } from '../diffusion/training/model.testing.ts';
import { partGraph } from '../diffusion/training/train-graph.ts';
import { encodeText } from '../diffusion/pipeline/index.ts';
import { Rng } from '../diffusion/rng.ts';
import { fromHalfBits, toHalfBits } from '../onnx/index.ts';
import { modelLayers, parseSafetensors, readWeight } from '../spectral/index.ts';
import { addAdapters, adapterOverrides, adapterParameters, adapterTargets, inScope, decodeAdapterFile, encodeAdapterFile, loraKey, transportRate, type Adapter, type AdapterLayer } from './index.ts';

function rand(n: number, seed: number, scale: number): Float32Array {
  return new Rng(seed).uniform(n, -scale, scale);
}

async function setup() {
  const { model } = await tinyModel();
  const targets = adapterTargets(modelLayers(model, ['unet']));
  const layers = new Map<string, AdapterLayer>();
  targets.forEach((t, i) => layers.set(t.name, {
    name: t.name, rank: 2, alpha: 1, out: t.out, in: t.in, up: rand(t.out * 2, 7 + i, 0.05), down: rand(2 * t.in, 100 + i, 0.5),
    ...(t.shape.length === 4 ? { kernel: t.shape.slice(2) } : {}),
  }));
  const adapter: Adapter = { modelHash: model.contentHash, layers, concepts: ['circle'], metadata: {} };
  return { model, targets, adapter };
}

async function runUnet(model: Awaited<ReturnType<typeof setup>>['model'], proto: Parameters<typeof createSession>[0], extra: Record<string, Float32Array> = {}, dims: Map<string, readonly number[]> = new Map()) {
  const { ort } = await import('../onnx/index.ts');
  const session = await createSession(proto, { device: 'cpu', cache: false });
  const [sample, t, text] = model.io.unet.inputNames;
  const h = 8;
  const x = rand(model.latentChannels * h * h, 3, 1);
  const states = (await encodeText(model, ['a red circle'])).data;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    [sample]: new ort.Tensor('float32', x, [1, model.latentChannels, h, h]),
    [t]: new ort.Tensor('float32', Float32Array.of(500), [1]),
    [text]: new ort.Tensor('float32', states, [1, model.tokenizer.maxLength, states.length / model.tokenizer.maxLength]),
  };
  for (const [name, v] of Object.entries(extra)) feeds[name] = new ort.Tensor('float32', v, dims.get(name) as number[]);
  const out = await session.run(feeds);
  await session.release();
  return out[model.io.unet.outputNames[0]].data as Float32Array;
}

describe('adapters', () => {
  it('scopes: transformer blocks; conditioning adds the embedding MLPs and time_emb_proj; all adds the convs', async () => {
    const { model } = await tinyModel();
    const names = (scope: 'transformer' | 'conditioning' | 'all') => adapterTargets(modelLayers(model, ['unet']), scope).map((t) => t.name);
    const [tr, cond, all] = [names('transformer'), names('conditioning'), names('all')];
    expect(tr.length).toBeGreaterThan(0);
    expect(tr.every((n) => /attentions\.\d+\./.test(n))).toBe(true);
    const added = cond.filter((n) => !tr.includes(n));
    expect(added).toContain('down_blocks.0.resnets.0.time_emb_proj');
    expect(added).toContain('time_embedding.linear_1');
    expect(added.every((n) => /time_emb_proj$|^(time|add)_embedding\./.test(n))).toBe(true);
    expect(all.filter((n) => !cond.includes(n))).toContain('down_blocks.0.resnets.0.conv1');
    expect(inScope('down_blocks.0.resnets.0.conv1', 'conditioning')).toBe(false);
  });

  it('the training form is the identity at up = 0 and the baked form at any up, down', async () => {
    const { model, targets, adapter } = await setup();
    expect(targets.some((t) => t.shape.length === 4) && targets.some((t) => t.shape.length === 2)).toBe(true);
    const base = partGraph(model, 'unet').model;
    const g = addAdapters(base, targets, { rank: 2, alpha: 1 });
    const zero: Record<string, Float32Array> = {};
    const trained: Record<string, Float32Array> = {};
    const dims = new Map<string, readonly number[]>();
    for (const t of targets) {
      const l = adapter.layers.get(t.name)!;
      for (const which of ['up', 'down'] as const) {
        const name = g.inputs.get(`${t.name}/${which}`)!;
        dims.set(name, g.dims.get(`${t.name}/${which}`)!);
        trained[name] = l[which];
        zero[name] = which === 'up' ? new Float32Array(l.up.length) : l.down;
      }
    }
    const plain = await runUnet(model, base);
    // W + 0 is W exactly; the outputs differ only where ORT packs constant conv weights differently.
    expect(maxDiff(await runUnet(model, g.model, zero, dims), plain)).toBeLessThan(1e-5);

    const withAdapter = await runUnet(model, g.model, trained, dims);
    const baked = adapterOverrides(model, [{ adapter, strength: 1, label: 'test' }], [1]);
    expect(baked.layers).toBe(targets.length);
    const bakedProto = structuredClone(base);
    for (const t of bakedProto.graph!.initializer!) {
      const w = baked.overrides.get(t.name!);
      if (w) { t.rawData = new Uint8Array(w.buffer.slice(0)); t.floatData = []; t.externalData = []; t.dataLocation = 0; }
    }
    const viaBake = await runUnet(model, bakedProto);
    let diff = 0, norm = 0, change = 0;
    for (let i = 0; i < plain.length; i++) {
      diff = Math.max(diff, Math.abs(viaBake[i] - withAdapter[i]));
      norm = Math.max(norm, Math.abs(plain[i]));
      change = Math.max(change, Math.abs(withAdapter[i] - plain[i]));
    }
    expect(change).toBeGreaterThan(1e-3);
    expect(diff).toBeLessThan(1e-4 * norm + 1e-5);
  });

  it('a conv adapter bakes to W + (alpha/r)·up·down, written out in torch layout', async () => {
    const { model, targets, adapter } = await setup();
    const t = targets.find((x) => x.shape.length === 4)!;
    const l = { ...adapter.layers.get(t.name)!, alpha: 3 };
    const single: Adapter = { ...adapter, layers: new Map([[t.name, l]]) };
    const baked = adapterOverrides(model, [{ adapter: single, strength: 0.5, label: 'conv' }], [0.5]).overrides.get(t.initializer)!;
    const w = readWeight(model, modelLayers(model, ['unet']).find((x) => x.name === t.name)!);
    const [out, cin, kh, kw] = t.shape;
    let worst = 0;
    for (let o = 0; o < out; o++) for (let c = 0; c < cin; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
      const i = ((o * cin + c) * kh + y) * kw + x;
      let d = 0;
      for (let r = 0; r < 2; r++) d += l.up[o * 2 + r] * l.down[r * cin * kh * kw + (c * kh + y) * kw + x];
      worst = Math.max(worst, Math.abs(baked[i] - (w[i] + 0.5 * (3 / 2) * d)));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('files round-trip with kohya keys; F16 LoRAs map by module path, unmapped keys are reported', async () => {
    const { model, adapter } = await setup();
    const bytes = encodeAdapterFile(adapter, 'fp32');
    const file = parseSafetensors(bytes);
    const conv = [...adapter.layers.values()].find((l) => l.kernel)!;
    expect(file.tensors.get(`${loraKey(conv.name)}.lora_down.weight`)!.dtype).toBe('F32');
    expect(file.tensors.get(`${loraKey(conv.name)}.lora_down.weight`)!.shape).toEqual([2, conv.in / 9, 3, 3]);
    expect(file.tensors.get(`${loraKey(conv.name)}.lora_up.weight`)!.shape).toEqual([conv.out, 2, 1, 1]);
    expect(file.metadata.prompts).toBe('circle');
    expect(loraKey('down_blocks.0.resnets.0.conv1')).toBe('lora_unet_down_blocks_0_resnets_0_conv1');
    const back = decodeAdapterFile(bytes, model).adapter;
    expect(back.concepts).toEqual(['circle']);
    expect(back.modelHash).toBe(model.contentHash);
    for (const [name, l] of adapter.layers) {
      expect(back.layers.get(name)!.up).toEqual(l.up);
      expect(back.layers.get(name)!.down).toEqual(l.down);
    }
    // The default, fp16 (as LoRA tools save): half the tensor bytes, each value the nearest half.
    const small = encodeAdapterFile(adapter);
    expect(parseSafetensors(small).tensors.get(`${loraKey(conv.name)}.lora_down.weight`)!.dtype).toBe('F16');
    expect(bytes.byteLength - small.byteLength).toBeGreaterThan(0.45 * adapterParameters(adapter) * 4);
    const rounded = decodeAdapterFile(small, model).adapter;
    const nearestHalf = (a: Float32Array) => Float32Array.from(a, (v) => fromHalfBits(toHalfBits(v)));
    for (const [name, l] of adapter.layers) {
      expect(rounded.layers.get(name)!.up).toEqual(nearestHalf(l.up));
      expect(rounded.layers.get(name)!.down).toEqual(nearestHalf(l.down));
      expect(rounded.layers.get(name)!.alpha).toBe(l.alpha);
    }

    // A kohya-style file: F16 tensors with an alpha, plus a text-encoder key this studio does not apply.
    const lin = [...adapter.layers.values()].find((l) => !l.kernel)!;
    const half = (a: Float32Array) => Uint16Array.from(a, (v) => toHalfBits(v));
    const f16 = f16File({
      [`${loraKey(lin.name)}.lora_up.weight`]: { shape: [lin.out, 2], data: half(lin.up) },
      [`${loraKey(lin.name)}.lora_down.weight`]: { shape: [2, lin.in], data: half(lin.down) },
      [`${loraKey(lin.name)}.alpha`]: { shape: [], data: half(Float32Array.of(4)) },
      ['lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight']: { shape: [4, 1], data: half(new Float32Array(4)) },
    });
    const loaded = decodeAdapterFile(f16, model);
    expect([...loaded.adapter.layers.keys()]).toEqual([lin.name]);
    expect(loaded.adapter.layers.get(lin.name)!.alpha).toBe(4);
    expect(loaded.unmapped.join()).toMatch(/lora_te_text_model_encoder_layers_0_mlp_fc1 \(not a UNet layer\)/);
    const shape = [lin.out + 1, 2];
    expect(() => decodeAdapterFile(f16File({ [`${loraKey(lin.name)}.lora_up.weight`]: { shape, data: half(new Float32Array(shape[0] * 2)) }, [`${loraKey(lin.name)}.lora_down.weight`]: { shape: [2, lin.in], data: half(lin.down) } }), model)).toThrow(/is \d+×\d+, the model's layer/);
  });

  it('facilitated transport: 0 for an unrelated prompt, 1 for a prompt that names the concept', async () => {
    const { model } = await tinyModel();
    const enc = async (p: string) => ({ tokens: model.tokenizer.idsOf(p), states: (await encodeText(model, [p])).data.slice() });
    const empty = (await encodeText(model, [''])).data.slice();
    const concept = await enc('circle');
    expect(transportRate(await enc('a red circle on a gray background'), [concept], empty)).toBe(1);
    expect(transportRate(await enc('a large blue square in the center on a gray background'), [concept], empty)).toBeLessThan(0.05);
  });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A safetensors file of F16 tensors (what most published LoRAs are). */
function f16File(tensors: Record<string, { shape: number[]; data: Uint16Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: 'F16', shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of Object.values(tensors)) { out.set(new Uint8Array(t.data.buffer), p); p += t.data.byteLength; }
  return out;
}
