import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../storage.ts';
import { decodeShiftFile, encodeShiftFile, importReferenceShifts, loadShiftFile, mapReferenceKeys, saveShiftFile, ShiftFileError } from './shift-file.ts';
import { parseSafetensors } from './safetensors.ts';
import { makeShifts } from './shifts.ts';

const layers = new Map([
  ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 4],
  ['conv_in', 3],
  ['down_blocks.0.resnets.0.norm1', 1],
]);
const expected = { modelHash: 'abc123', layers };

function sample() {
  return makeShifts(
    'abc123',
    new Map([
      ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', Float32Array.from([0.5, -1.25, 3, 1e-7])],
      ['conv_in', Float32Array.from([1, 2, 3])],
      ['down_blocks.0.resnets.0.norm1', Float32Array.from([-0.001])],
    ]),
    { svdiff_training: JSON.stringify({ steps: 500, lr: 1e-3 }) },
  );
}

/** A hand-built safetensors file (to produce every kind of bad input). */
function rawFile(header: unknown, data: Uint8Array, headerLenOverride?: number): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLenOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const meta = { svdiff_model_hash: 'abc123', svdiff_format_version: '1' };
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

describe('shift files', () => {
  it('round-trips through disk with metadata, keys <layer>.delta, F32 1-D', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shifts-'));
    const path = join(dir, 'dog.safetensors');
    await saveShiftFile(path, sample(), writeFileAtomic);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const raw = parseSafetensors(await readFile(path));
    expect([...raw.tensors.keys()].sort()).toEqual([...layers.keys()].map((l) => `${l}.delta`).sort());
    for (const t of raw.tensors.values()) {
      expect(t.dtype).toBe('F32');
      expect(t.shape.length).toBe(1);
    }
    expect(raw.metadata).toMatchObject({ svdiff_model_hash: 'abc123', svdiff_format_version: '1' });
    expect(JSON.parse(raw.metadata.svdiff_training)).toEqual({ steps: 500, lr: 1e-3 });
    const back = await loadShiftFile(path, expected);
    expect(back.modelHash).toBe('abc123');
    for (const [l, d] of sample().deltas) expect(Array.from(back.deltas.get(l)!)).toEqual(Array.from(d));
    expect(back.metadata.svdiff_training).toBe(sample().metadata.svdiff_training);
    expect(back.byteSize).toBe(8 * 4);
  });

  it('loads missing layers as zero (partial files)', () => {
    const s = sample();
    s.deltas.delete('conv_in');
    s.metadata.partial = 'true';
    const back = decodeShiftFile(encodeShiftFile(s), expected);
    expect(Array.from(back.deltas.get('conv_in')!)).toEqual([0, 0, 0]);
    expect(back.metadata.partial).toBe('true');
  });

  it('refuses a file of another model, naming both', () => {
    expect(() => decodeShiftFile(encodeShiftFile(sample()), { modelHash: 'zzz', layers })).toThrow(
      'shift file was trained for model abc123, this model is zzz',
    );
  });

  it('refuses unknown layers, naming them', () => {
    const s = sample();
    s.deltas.set('mid_block.extra', new Float32Array(2));
    expect(() => decodeShiftFile(encodeShiftFile(s), expected)).toThrow(/mid_block\.extra\.delta/);
  });

  it('refuses a wrong length, naming the layer', () => {
    const s = sample();
    s.deltas.set('conv_in', new Float32Array(5));
    expect(() => decodeShiftFile(encodeShiftFile(s), expected)).toThrow(/layer "conv_in" has 5 values; this model's layer has 3/);
  });

  it('refuses NaN/Inf (on load, naming the layer; and on save)', () => {
    const file = rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, f32(1, NaN, 2));
    expect(() => decodeShiftFile(file, expected)).toThrow(/layer "conv_in" has a non-finite value \(NaN\) at index 1/);
    const inf = rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, f32(1, 2, Infinity));
    expect(() => decodeShiftFile(inf, expected)).toThrow(/conv_in.*Infinity/);
    const s = sample();
    s.deltas.get('conv_in')![0] = NaN;
    expect(() => encodeShiftFile(s)).toThrow(/conv_in/);
  });

  it('refuses other dtypes and non-1-D shapes clearly', () => {
    const f16 = rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, new Uint8Array(6));
    expect(() => decodeShiftFile(f16, expected)).toThrow(/layer "conv_in" is stored as F16; expected F32/);
    const f64 = rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F64', shape: [3], data_offsets: [0, 24] } }, new Uint8Array(24));
    expect(() => decodeShiftFile(f64, expected)).toThrow(/stored as F64/);
    const twoD = rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [1, 3], data_offsets: [0, 12] } }, f32(1, 2, 3));
    expect(() => decodeShiftFile(twoD, expected)).toThrow(/layer "conv_in" has shape \[1, 3\]; a shift is 1-D \[3\]/);
  });

  it.each([
    ['truncated below the length prefix', () => new Uint8Array(5), /truncated/],
    ['truncated data', () => encodeShiftFile(sample()).subarray(0, encodeShiftFile(sample()).length - 4), /past the end/],
    ['header length past EOF', () => rawFile({ __metadata__: meta }, new Uint8Array(0), 5000), /runs past the end/],
    ['header not JSON', () => rawFile('{"conv_in.delta": {', new Uint8Array(0)), /not valid JSON/],
    ['header not an object', () => rawFile('[1,2]', new Uint8Array(0)), /not a JSON object/],
    [
      'overlapping offsets',
      () =>
        rawFile(
          { __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, 'down_blocks.0.resnets.0.norm1.delta': { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
          f32(1, 2, 3),
        ),
      /overlap/,
    ],
    ['offsets out of range', () => rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [4, 16] } }, f32(1, 2, 3)), /past the end of the data/],
    ['size not matching shape', () => rawFile({ __metadata__: meta, 'conv_in.delta': { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }, f32(1, 2, 3)), /needs 8/],
    ['no model hash', () => rawFile({ 'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, f32(1, 2, 3)), /no svdiff_model_hash/],
    ['future format version', () => rawFile({ __metadata__: { ...meta, svdiff_format_version: '9' } }, new Uint8Array(0)), /format version "9"/],
  ])('refuses a bad file: %s', (_name, make, message) => {
    let err: unknown;
    try {
      decodeShiftFile(make(), expected);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShiftFileError);
    expect((err as Error).message).toMatch(message);
  });

  it('a failed save leaves no file and no temp file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shifts-'));
    const path = join(dir, 'bad.safetensors');
    const s = sample();
    s.deltas.get('conv_in')![1] = Infinity;
    await expect(saveShiftFile(path, s, writeFileAtomic)).rejects.toThrow(/conv_in/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the file when it cannot be read', async () => {
    await expect(loadShiftFile('/nonexistent/x.safetensors', expected)).rejects.toThrow(/cannot read shift file \/nonexistent\/x\.safetensors/);
  });

  it('keeps the old file when a save is replaced atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shifts-'));
    const path = join(dir, 'a.safetensors');
    await writeFile(path, 'old');
    await saveShiftFile(path, sample(), writeFileAtomic);
    expect((await loadShiftFile(path, expected)).deltas.get('conv_in')![2]).toBe(3);
  });
});

describe('reference (svdiff-pytorch) shift files', () => {
  const ours = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 'conv_in', 'onnx::MatMul_1234'];

  it('maps module paths that the export preserved and reports the rest', () => {
    const m = mapReferenceKeys(
      ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.delta', 'conv_in.delta', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.delta'],
      ours,
    );
    expect([...m.mapped]).toEqual([
      ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.delta', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'],
      ['conv_in.delta', 'conv_in'],
    ]);
    expect(m.unmapped).toEqual(['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.delta']);
    expect(m.layersWithoutShift).toEqual(['onnx::MatMul_1234']);
  });

  it('imports a reference file without metadata, F32 or F16', () => {
    const data = new Uint8Array(12 + 8);
    data.set(f32(1, 2, 3), 0);
    // F16 0.5, -2, 0, 1 = 0x3800, 0xc000, 0x0000, 0x3c00
    new DataView(data.buffer).setUint16(12, 0x3800, true);
    new DataView(data.buffer).setUint16(14, 0xc000, true);
    new DataView(data.buffer).setUint16(18, 0x3c00, true);
    const file = rawFile(
      {
        'conv_in.delta': { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
        'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.delta': { dtype: 'F16', shape: [4], data_offsets: [12, 20] },
        'mid_block.attentions.0.proj_in.delta': { dtype: 'F32', shape: [0], data_offsets: [20, 20] },
      },
      data,
    );
    const { shifts, mapping } = importReferenceShifts(file, { modelHash: 'abc123', layers: new Map([['conv_in', 3], ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 4], ['onnx::MatMul_1234', 2]]) });
    expect(Array.from(shifts.deltas.get('conv_in')!)).toEqual([1, 2, 3]);
    expect(Array.from(shifts.deltas.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q')!)).toEqual([0.5, -2, 0, 1]);
    expect(Array.from(shifts.deltas.get('onnx::MatMul_1234')!)).toEqual([0, 0]);
    expect(mapping.unmapped).toEqual(['mid_block.attentions.0.proj_in.delta']);
    expect(shifts.modelHash).toBe('abc123');
    // And the imported shifts save as one of ours.
    expect(decodeShiftFile(encodeShiftFile(shifts), { modelHash: 'abc123', layers: new Map([['conv_in', 3], ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 4], ['onnx::MatMul_1234', 2]]) }).deltas.size).toBe(3);
  });
});
