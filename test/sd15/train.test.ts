// SVD Decompose → Spectral Shift Train on SD 1.5's architecture as optimum exports it. The
// training graph splices the loss and the backward into the export; exports are at opset 14
// (optimum's default) or 17, and the graph is built where those ops mean the same (opset 17,
// or the model's own when higher), so ReduceMean's axes and the text encoder's ScatterND-with-
// reduction gradient are valid at every opset. A half-precision export trains on its graph
// lifted to float32 (server/diffusion/training/float32-graph.ts); optimum's current export
// (a scalar timestep) draws one timestep per batch.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import Train from '../../nodes/spectral-shift-train.ts';
import Sample from '../../nodes/sample.ts';
import type { ImageBatch } from '../../nodes/define.ts';
import { testImage } from '../../server/diffusion/pipeline/model.testing.ts';
import { ShiftTrainer } from '../../server/diffusion/training/loop.ts';
import { disc, tinySettings } from '../../server/diffusion/training/model.testing.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import { makeShifts, type SpectralShifts, type SvdValue } from '../../server/spectral/index.ts';
import { addOptimumCurrent, FLOAT32_VARIANTS, fixtureStorage, nodeContext, relMaxError } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage();
afterAll(cleanup);

// A few layers of each kind keep the graph build short: the UNet's cross-attention keys (torch's
// onnx::MatMul_N weights), its GroupNorm scales at the bottleneck (folded [C,1,1] Muls) and the
// text encoder's token embedding (a Gather, whose gradient is the ScatterND that needs opset 16).
const NAME_FILTER = 'attn2\\.to_k|mid_block\\.resnets\\.0\\.norm1|token_embedding';
const DEFAULTS = Object.fromEntries(Object.entries(Train.inputs).filter(([, s]) => 'default' in s).map(([k, s]) => [k, (s as { default: unknown }).default]));

async function decomposed(variant: string): Promise<{ model: LoadedModel; svd: SvdValue }> {
  const ctx = nodeContext(storage);
  const model = (await LoadModel.run({ model_name: variant, device: 'cpu' }, ctx)).outputs[0] as LoadedModel;
  const svd = (await SVDDecompose.run({ model, parts: 'unet+text_encoder', layers: 'all', name_filter: NAME_FILTER }, ctx)).outputs[0] as SvdValue;
  return { model, svd };
}

function train(model: LoadedModel, svd: SvdValue, log: string[], extra: Record<string, unknown> = {}) {
  const inputs = {
    ...DEFAULTS, model, svd, images: testImage(64, 64, 2), instance_prompt: 'a sks dog', identifier: 'sks', class_prompt: 'a dog',
    prior_weight: 0, resolution: 64, steps: 2, checkpoint_every: 0, train_parts: 'unet+text_encoder', ...extra,
  } as unknown as Parameters<typeof Train.run>[0];
  return Train.run(inputs, nodeContext(storage, log));
}

interface Trained { model: LoadedModel; svd: SvdValue; shifts: SpectralShifts; log: string[] }
const trainedRuns = new Map<string, Promise<Trained>>();
/** Decompose and two steps of Spectral Shift Train, once per variant (the fp16 test compares with opset14's). */
function trained(variant: string): Promise<Trained> {
  let p = trainedRuns.get(variant);
  if (!p) {
    p = decomposed(variant).then(async ({ model, svd }) => {
      const log: string[] = [];
      return { model, svd, shifts: (await train(model, svd, log)).outputs[0] as SpectralShifts, log };
    });
    trainedRuns.set(variant, p);
  }
  return p;
}

describe.each(FLOAT32_VARIANTS)('SVD Decompose → Spectral Shift Train, %s', (variant) => {
  it('decomposes UNet and text-encoder layers and trains their shifts for two steps', async () => {
    const { model, svd, shifts, log } = await trained(variant);
    const parts = new Set([...svd.layers.values()].map((l) => l.part));
    expect([...parts].sort()).toEqual(['text_encoder', 'unet']);
    // Torch's renamed weights get their module paths as layer names.
    expect([...svd.layers.keys()].sort()).toEqual([
      ...['down_blocks.0.attentions.0', 'down_blocks.0.attentions.1', 'down_blocks.1.attentions.0', 'down_blocks.1.attentions.1',
        'down_blocks.2.attentions.0', 'down_blocks.2.attentions.1', 'mid_block.attentions.0',
        ...[1, 2, 3].flatMap((b) => [0, 1, 2].map((a) => `up_blocks.${b}.attentions.${a}`))].map((p) => `${p}.transformer_blocks.0.attn2.to_k`),
      'mid_block.resnets.0.norm1',
      'text_model.embeddings.token_embedding',
    ].sort());
    expect(shifts.modelHash).toBe(model.contentHash);
    expect(shifts.deltas.size).toBe(svd.layers.size);
    expect([...shifts.deltas.values()].every((d) => d.every(Number.isFinite))).toBe(true);
    // Both steps ran and moved the shifts (lr 1e-3 on the matrices).
    expect(log.join('\n')).toMatch(/done: 2\/2 steps/);
    expect([...shifts.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
  }, 180_000);
});

describe('Spectral Shift Train on the fp16 export', () => {
  it('trains float32 shifts on the half model lifted to float32, and Sample bakes them into its float16 weights', async () => {
    const { model, svd, shifts, log } = await trained('fp16');
    expect(log.join('\n')).toMatch(/done: 2\/2 steps/);
    expect(shifts.deltas.size).toBe(svd.layers.size);
    expect([...shifts.deltas.values()].every((d) => d instanceof Float32Array && d.every(Number.isFinite))).toBe(true);
    expect([...shifts.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
    // The same weights rounded to half (opset14 is the same export in float32): the same
    // steps. Measured: every δ has opset14's sign, layers agree to 1.5e-3–0.13 of their scale
    // (AdamW's second step divides by √v, which the weights' and SVD's rounding move).
    const f32 = (await trained('opset14')).shifts;
    for (const [layer, d] of shifts.deltas) expect(relMaxError(d, f32.deltas.get(layer)!), layer).toBeLessThan(0.3);
    // Sampling the half model with them: W_δ in float32, rounded into float16 initializers.
    const sample = async (s: SpectralShifts | undefined) => ((await Sample.run({
      model, prompt: 'a photo of a sks dog', negative_prompt: '', steps: 3, guidance_scale: 2, eta: 0, seed: 1, width: 64, height: 64,
      batch_size: 1, latent: undefined, shifts: s, shift_scale: 1, adapters: undefined, facilitated_transport: true,
    }, nodeContext(storage))).outputs[0] as ImageBatch).data;
    const zero = makeShifts(model.contentHash, new Map([...shifts.deltas].map(([k, d]) => [k, new Float32Array(d.length)])), {});
    const [plain, unshifted, shifted] = [await sample(undefined), await sample(zero), await sample(shifts)];
    expect(plain.every(Number.isFinite) && shifted.every(Number.isFinite)).toBe(true);
    // Baking δ = 0 reproduces the half model bit for bit, so what differs is the shifts' doing.
    expect(Buffer.from(unshifted.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    expect(Buffer.from(shifted.buffer).equals(Buffer.from(plain.buffer))).toBe(false);
  }, 360_000);
});

describe("Spectral Shift Train on optimum's current export (a float scalar timestep)", () => {
  it('draws one timestep for the whole batch (base-prediction prior targets included) and trains two steps', async () => {
    const name = addOptimumCurrent(storage);
    const { model, svd } = await decomposed(name);
    const settings = tinySettings({
      subjects: [{ images: [disc(64, [1, 0, 0]), disc(64, [1, 0.2, 0], 3)], prompt: 'a sks dog', classPrompt: 'a dog', identifier: 'sks' }],
      resolution: 64, batchSize: 2, steps: 2, priorWeight: 0.5, priorTarget: 'base_prediction', parts: 'unet+text_encoder',
    });
    const t = await ShiftTrainer.create({ model, svd, settings, classImages: [[disc(64, [0, 0, 1])]] });
    try {
      expect(t.graph.timestep.dims).toEqual([]);
      const { feeds, items } = await t.feeds(0);
      expect(items.map((i) => i.kind)).toEqual(['instance', 'instance', 'class', 'class']);
      expect(feeds[t.graph.timestep.name].dims).toEqual([]);
      expect(feeds[t.graph.timestep.name].type).toBe('float32');
      const r = await t.train();
      expect(r.stepsDone).toBe(2);
      expect(r.partial).toBe(false);
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect([...r.deltas.values()].every((d) => d.every(Number.isFinite))).toBe(true);
      expect([...r.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
    } finally {
      await t.release();
    }
  }, 180_000);
});
