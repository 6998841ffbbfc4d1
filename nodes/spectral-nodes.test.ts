import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SVDDecompose from './svd-decompose.ts';
import SaveShifts from './save-shifts.ts';
import LoadShifts from './load-shifts.ts';
import CombineShifts from './combine-shifts.ts';
import type { NodeContext, Storage } from './define.ts';
import { LoadedModel } from '../server/diffusion/index.ts';
import { TINY_TEST_CONFIG, writeEmbeddedModel } from '../research/embedded-model/index.ts';
import { testContext } from '../server/image/image.testing.ts';
import { tempModelStorage } from '../server/spectral/storage.testing.ts';
import { makeShifts, parseSafetensors, svdCacheDir, type SpectralShifts, type SvdValue } from '../server/spectral/index.ts';

let storage: Storage;
let cleanup: () => void;
let model: LoadedModel;
let other: LoadedModel;

function ctx(): NodeContext & { logs: string[]; progressCalls: [number, number][] } {
  const logs: string[] = [];
  return { ...testContext(storage), log: (m: string) => void logs.push(m), logs };
}

beforeAll(async () => {
  ({ storage, cleanup } = tempModelStorage());
  await writeEmbeddedModel(join(storage.modelsDir, 'tiny'), TINY_TEST_CONFIG, { seed: 1 });
  await writeEmbeddedModel(join(storage.modelsDir, 'tiny2'), TINY_TEST_CONFIG, { seed: 2 });
  model = await LoadedModel.load(join(storage.modelsDir, 'tiny'));
  other = await LoadedModel.load(join(storage.modelsDir, 'tiny2'));
});
afterAll(async () => {
  await model?.release();
  await other?.release();
  cleanup?.();
});

async function decompose(parts = 'unet+text_encoder', layers = 'all', name_filter = '') {
  const c = ctx();
  const svd = (await SVDDecompose.run({ model, parts, layers, name_filter }, c)).outputs[0] as SvdValue;
  return { svd, c };
}

function randomShifts(svd: SvdValue, seed: number, hash = model.contentHash): SpectralShifts {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);
  return makeShifts(hash, new Map([...svd.layers.values()].map((l) => [l.name, Float32Array.from({ length: l.k }, next)])), { svdiff_training: '{"steps":3}' });
}

describe('SVDDecompose', () => {
  it('decomposes the chosen layers, reports progress per layer, and loads the cache on the second run', async () => {
    const first = await decompose();
    expect(first.svd.modelHash).toBe(model.contentHash);
    expect(first.svd.layers.size).toBe(129);
    expect(first.c.progressCalls.at(-1)).toEqual([129, 129]);
    expect(first.c.progressCalls).toHaveLength(129);
    expect(first.c.logs[0]).toMatch(/^129 layers \(1288 singular values\): 0 from cache, 129 computed/);
    const cached = readdirSync(svdCacheDir(storage.cacheDir, model.contentHash));
    expect(cached).toHaveLength(129 - 36); // every matrix/conv layer; norm scales need no SVD
    const second = await decompose();
    expect(second.c.logs[0]).toMatch(/: 93 from cache, 36 computed/);
    for (const [name, l] of first.svd.layers) {
      const again = second.svd.layers.get(name)!;
      expect(again.S).toEqual(l.S);
      expect(again.U).toEqual(l.U);
    }
  });

  it('selects attention layers and name filters; a filter matching nothing names the input', async () => {
    const attn = (await decompose('unet', 'attention')).svd;
    expect([...attn.layers.keys()].every((n) => /\.attn[12]\./.test(n))).toBe(true);
    expect(attn.layers.size).toBe(4 * 8); // 4 transformers (down 1, mid, up 0 ×2) × q/k/v/out of attn1 and attn2
    const k = (await decompose('unet', 'all', 'attn2\\.to_[kv]$')).svd;
    expect(k.layers.size).toBe(4 * 2);
    await expect(decompose('unet', 'all', 'no_such_layer')).rejects.toThrow(/^input "name_filter": no layer matches/);
  });
});

describe('SaveShifts / LoadShifts', () => {
  it('round-trips shifts through shifts/<prefix>.safetensors, sub-folders included', async () => {
    const { svd } = await decompose();
    const shifts = randomShifts(svd, 3);
    const res = await SaveShifts.run({ shifts, filename_prefix: 'dogs/sks' }, ctx());
    expect(res.ui?.shifts).toEqual([{ filename: 'sks.safetensors', subfolder: 'dogs', type: 'shifts', bytes: expect.any(Number) }]);
    const file = join(storage.shiftsDir, 'dogs', 'sks.safetensors');
    const raw = parseSafetensors(readFileSync(file));
    expect(raw.metadata.svdiff_model_hash).toBe(model.contentHash);
    expect(raw.tensors.get('conv_in.delta')!.dtype).toBe('F32');
    const options = LoadShifts.inputs.shift_file.options as (env: { storage: Storage }) => Promise<string[]>;
    expect(await options({ storage })).toContain('dogs/sks.safetensors');
    for (const svdIn of [undefined, svd]) {
      const loaded = (await LoadShifts.run({ model, shift_file: 'dogs/sks.safetensors', svd: svdIn }, ctx())).outputs[0] as SpectralShifts;
      expect(loaded.modelHash).toBe(model.contentHash);
      expect(loaded.metadata.svdiff_training).toBe('{"steps":3}');
      expect([...loaded.deltas.keys()].sort()).toEqual([...shifts.deltas.keys()].sort());
      for (const [k, v] of shifts.deltas) expect(loaded.deltas.get(k)).toEqual(v);
    }
  });

  it('missing layers load as zero; a UNet-only file gives UNet layers only', async () => {
    const { svd } = await decompose('unet', 'attention');
    await SaveShifts.run({ shifts: randomShifts(svd, 4), filename_prefix: 'attn' }, ctx());
    const loaded = (await LoadShifts.run({ model, shift_file: 'attn.safetensors', svd: undefined }, ctx())).outputs[0] as SpectralShifts;
    const all = (await decompose('unet')).svd;
    expect(loaded.deltas.size).toBe(all.layers.size);
    expect(loaded.deltas.get('conv_in')).toEqual(new Float32Array(all.layers.get('conv_in')!.k));
  });

  it('refuses a file of another model, naming both hashes', async () => {
    const { svd } = await decompose('unet');
    await SaveShifts.run({ shifts: randomShifts(svd, 5), filename_prefix: 'mine' }, ctx());
    await expect(LoadShifts.run({ model: other, shift_file: 'mine.safetensors', svd: undefined }, ctx())).rejects.toThrow(
      `input "shift_file": "mine.safetensors" was trained for model ${model.contentHash}, this model is ${other.contentHash}`,
    );
    const otherSvd = (await SVDDecompose.run({ model: other, parts: 'unet', layers: 'all', name_filter: '' }, ctx())).outputs[0] as SvdValue;
    await expect(LoadShifts.run({ model, shift_file: 'mine.safetensors', svd: otherSvd }, ctx())).rejects.toThrow(/^input "svd": the SVD input was made for model/);
    // A selection that lacks some of the file's layers is named as such.
    const attnOnly = (await decompose('unet', 'attention')).svd;
    await expect(LoadShifts.run({ model, shift_file: 'mine.safetensors', svd: attnOnly }, ctx())).rejects.toThrow(
      /^input "svd": "mine\.safetensors" has shifts for layers outside the SVD input's selection \(unet, attention\): add_embedding\.linear_1, .*\(86 in all\)/,
    );
  });

  it('every bad file is a clear error naming the node, the input and (where it applies) the layer', async () => {
    const { svd } = await decompose('unet');
    const good = randomShifts(svd, 6);
    await SaveShifts.run({ shifts: good, filename_prefix: 'good' }, ctx());
    const bytes = readFileSync(join(storage.shiftsDir, 'good.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    const rebuild = (h: unknown, data: Buffer) => {
      const json = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, json, data]);
    };
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    const data = bytes.subarray(dataStart);
    const layer = 'conv_in';
    const [b0] = header[`${layer}.delta`].data_offsets as [number, number];
    const withNaN = Buffer.from(data);
    withNaN.writeFloatLE(NaN, b0 + 4);
    const withInf = Buffer.from(data);
    withInf.writeFloatLE(-Infinity, b0);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', bytes.subarray(0, bytes.length - 9), /truncated or corrupt/],
      ['header cut', bytes.subarray(0, 5), /truncated/],
      ['corrupt header', Buffer.concat([bytes.subarray(0, 8), Buffer.from('{not json'.padEnd(Number(bytes.readBigUInt64LE(0)), ' ')), data]), /corrupt header/],
      ['wrong dtype', rebuild({ ...header, [`${layer}.delta`]: { ...header[`${layer}.delta`], dtype: 'I32' } }, data), /layer "conv_in" is stored as I32; expected F32/],
      ['wrong shape', rebuild({ ...header, [`${layer}.delta`]: { ...header[`${layer}.delta`], shape: [2, header[`${layer}.delta`].shape[0] / 2] } }, data), /layer "conv_in" has shape \[2, 4\]/],
      ['wrong length', (() => {
        const h = structuredClone(header);
        const [s0, e0] = h[`${layer}.delta`].data_offsets;
        h[`${layer}.delta`] = { dtype: 'F32', shape: [(e0 - s0) / 4 - 1], data_offsets: [s0, e0 - 4] };
        return rebuild(h, data);
      })(), /layer "conv_in" has 7 values; this model's layer has 8 singular values/],
      ['NaN', rebuild(header, withNaN), /layer "conv_in" has a non-finite value \(NaN\) at index 1/],
      ['Inf', rebuild(header, withInf), /layer "conv_in" has a non-finite value \(-Infinity\) at index 0/],
      ['unknown layer', rebuild({ ...header, 'not_a_layer.delta': { dtype: 'F32', shape: [1], data_offsets: [data.length, data.length + 4] } }, Buffer.concat([data, Buffer.alloc(4)])), /layers this model does not have: not_a_layer\.delta/],
      ['overlapping tensors', rebuild({ ...header, 'not_a_layer.delta': header[`${layer}.delta`] }, data), /overlap \(corrupt offsets\)/],
      ['no hash, no mappable key', rebuild({ 'foo.bar': header[`${layer}.delta`] }, data), /neither an SVDiff Studio shift file/],
      ['empty', Buffer.alloc(0), /truncated/],
    ];
    for (const [name, buf, msg] of cases) {
      writeFileSync(join(storage.shiftsDir, 'bad.safetensors'), buf);
      const err = await LoadShifts.run({ model, shift_file: 'bad.safetensors', svd: undefined }, ctx()).then(() => null, (e: Error) => e);
      expect(err, name).not.toBeNull();
      expect(err!.message, name).toMatch(/^input "shift_file": "bad\.safetensors"/);
      expect(err!.message, name).toMatch(msg);
    }
    await expect(LoadShifts.validate!({ shift_file: 'gone.safetensors' }, { storage })).resolves.toEqual({ shift_file: '"gone.safetensors" was not found in shifts/' });
  });

  it('imports a reference SVDiff file by module path', async () => {
    const { svd } = await decompose('unet', 'attention');
    const [name, l] = [...svd.layers][0];
    const json = Buffer.from(JSON.stringify({ [`${name}.delta`]: { dtype: 'F32', shape: [l.k], data_offsets: [0, 4 * l.k] }, 'unknown.module.delta': { dtype: 'F32', shape: [1], data_offsets: [4 * l.k, 4 * l.k + 4] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const vals = Buffer.from(Float32Array.from({ length: l.k + 1 }, (_, i) => i / 10).buffer);
    writeFileSync(join(storage.shiftsDir, 'spectral_shifts.safetensors'), Buffer.concat([len, json, vals]));
    const c = ctx();
    const loaded = (await LoadShifts.run({ model, shift_file: 'spectral_shifts.safetensors', svd: undefined }, c)).outputs[0] as SpectralShifts;
    expect(loaded.deltas.get(name)).toEqual(Float32Array.from({ length: l.k }, (_, i) => Math.fround(i / 10)));
    expect(c.logs[0]).toMatch(/reference file, 1 layers mapped, 1 keys not mapped \(e\.g\. unknown\.module\.delta\)/);
  });

  it('SaveShifts refuses non-finite shifts and bad names, writing nothing', async () => {
    const { svd } = await decompose('unet', 'attention');
    const bad = randomShifts(svd, 7);
    bad.deltas.values().next().value![2] = Infinity;
    await expect(SaveShifts.run({ shifts: bad, filename_prefix: 'inf' }, ctx())).rejects.toThrow(/^input "shifts": layer ".*": δ\[2\] is Infinity/);
    expect(existsSync(join(storage.shiftsDir, 'inf.safetensors'))).toBe(false);
    expect(readdirSync(storage.shiftsDir).filter((f) => f.includes('.tmp'))).toEqual([]);
    await expect(SaveShifts.run({ shifts: randomShifts(svd, 1), filename_prefix: '../escape' }, ctx())).rejects.toThrow(/^input "filename_prefix"/);
    expect(SaveShifts.validate!({ filename_prefix: '' }, { storage })).toEqual({ filename_prefix: 'is not usable: the file name prefix is empty' });
    mkdirSync(join(storage.shiftsDir, 'adir.safetensors'), { recursive: true });
    await expect(SaveShifts.run({ shifts: randomShifts(svd, 1), filename_prefix: 'adir' }, ctx())).rejects.toThrow(/^input "filename_prefix": cannot save/);
  });
});

describe('CombineShifts', () => {
  const a = () => makeShifts('m', new Map([['x', Float32Array.of(1, 2)], ['y', Float32Array.of(4)]]));
  const b = () => makeShifts('m', new Map([['x', Float32Array.of(10, -20)]]));
  const run = async (over: Partial<Parameters<typeof CombineShifts.run>[0]>) =>
    (await CombineShifts.run({ shifts_a: a(), shifts_b: b(), mode: 'add', alpha: 0.5, weight_a: 1, weight_b: 1, scale: 1, ...over }, ctx())).outputs[0] as SpectralShifts;

  it('add, interpolate, weighted_sum, then scale; only shifts_a scales it', async () => {
    expect((await run({})).deltas.get('x')).toEqual(Float32Array.of(11, -18));
    expect((await run({ scale: 2 })).deltas.get('y')).toEqual(Float32Array.of(8));
    expect((await run({ mode: 'interpolate', alpha: 0.25 })).deltas.get('x')).toEqual(Float32Array.of(0.25 + 7.5, 0.5 - 15));
    expect((await run({ mode: 'interpolate', alpha: 0.25 })).deltas.get('y')).toEqual(Float32Array.of(1));
    expect((await run({ mode: 'weighted_sum', weight_a: 2, weight_b: -1, scale: 0.5 })).deltas.get('x')).toEqual(Float32Array.of(0.5 * (2 + -10), 0.5 * (4 + 20)));
    expect((await run({ shifts_b: undefined, scale: -1 })).deltas.get('x')).toEqual(Float32Array.of(-1, -2));
    expect((await run({ shifts_b: undefined, mode: 'weighted_sum', weight_a: 3 })).deltas.get('y')).toEqual(Float32Array.of(12));
  });

  it('refuses shifts of different models and an interpolation without shifts_b', async () => {
    await expect(run({ shifts_b: makeShifts('other', b().deltas) })).rejects.toThrow(
      'input "shifts_b": cannot combine shifts of different models: input 1 is for model m, input 2 is for model other',
    );
    await expect(run({ mode: 'interpolate', shifts_b: undefined })).rejects.toThrow(/^input "shifts_b": interpolate needs two/);
    await expect(run({ alpha: NaN, mode: 'interpolate' })).rejects.toThrow(/^input "alpha": must be a finite number/);
  });
});

