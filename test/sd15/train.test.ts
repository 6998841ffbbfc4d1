// SVD Decompose → Spectral Shift Train on SD 1.5's architecture as optimum exports it. The
// training graph splices the loss and the backward into the export; exports are at opset 14
// (optimum's default) or 17, and the graph is built where those ops mean the same (opset 17,
// or the model's own when higher), so ReduceMean's axes and the text encoder's ScatterND-with-
// reduction gradient are valid at every opset.
import { afterAll, describe, expect, it } from 'vitest';
import LoadModel from '../../nodes/load-model.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import Train from '../../nodes/spectral-shift-train.ts';
import { testImage } from '../../server/diffusion/pipeline/model.testing.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import type { SpectralShifts, SvdValue } from '../../server/spectral/index.ts';
import { FLOAT32_VARIANTS, fixtureStorage, nodeContext } from './sd15.testing.ts';

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

function train(model: LoadedModel, svd: SvdValue, log: string[]) {
  const inputs = {
    ...DEFAULTS, model, svd, images: testImage(64, 64, 2), instance_prompt: 'a sks dog', identifier: 'sks', class_prompt: 'a dog',
    prior_weight: 0, resolution: 64, steps: 2, checkpoint_every: 0, train_parts: 'unet+text_encoder',
  } as unknown as Parameters<typeof Train.run>[0];
  return Train.run(inputs, nodeContext(storage, log));
}

describe.each(FLOAT32_VARIANTS)('SVD Decompose → Spectral Shift Train, %s', (variant) => {
  it('decomposes UNet and text-encoder layers and trains their shifts for two steps', async () => {
    const { model, svd } = await decomposed(variant);
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
    const log: string[] = [];
    const shifts = (await train(model, svd, log)).outputs[0] as SpectralShifts;
    expect(shifts.modelHash).toBe(model.contentHash);
    expect(shifts.deltas.size).toBe(svd.layers.size);
    expect([...shifts.deltas.values()].every((d) => d.every(Number.isFinite))).toBe(true);
    // Both steps ran and moved the shifts (lr 1e-3 on the matrices).
    expect(log.join('\n')).toMatch(/done: 2\/2 steps/);
    expect([...shifts.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
  }, 180_000);
});

describe('Spectral Shift Train on the fp16 export (known gap)', () => {
  it('fails building the loss: the export’s float16 out_sample meets the float32 target', async () => {
    const { model, svd } = await decomposed('fp16');
    await expect(train(model, svd, [])).rejects.toThrow(/Sub\) bound to different types \(tensor\(float16\) and tensor\(float\)/);
  }, 180_000);
});
