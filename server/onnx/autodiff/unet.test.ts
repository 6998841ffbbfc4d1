// Whole-model gradient check on a small UNet with self- and cross-attention, and the identity
// check: the gradient model's original outputs equal the forward model's outputs exactly.
import { describe, expect, it } from 'vitest';
import { buildUNet, TINY_UNET } from '../unet.testing.ts';
import { createSession, ort } from '../session.ts';
import { liftParameters } from '../train/params.ts';
import { addMseLoss } from './losses.ts';
import { differentiate } from './differentiate.ts';
import { normal, rng } from './gradcheck.ts';

const B = 2, S = 8, L = 5;

describe('small UNet (self- and cross-attention)', () => {
  // 'auto' keeps this model's small maps on the per-op rules; 'fused' sends every attention,
  // self and cross, through the fused backward.
  it.each(['auto', 'fused'] as const)('matches finite differences and keeps the forward outputs bit-exact (attention %s)', async (attention) => {
    const { model: unet, params } = buildUNet({ ...TINY_UNET, batch: B, size: S, seqLen: L });
    const withLoss = addMseLoss(unet, { output: 'out_sample', target: 'target' });
    const { model, params: values } = liftParameters(withLoss, params);
    const rand = rng(99);
    const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => normal(rand) * s);
    const data: Record<string, Float32Array> = {
      sample: randn(B * 4 * S * S), timestep: Float32Array.from([3, 417]), encoder_hidden_states: randn(B * L * TINY_UNET.contextDim),
      target: randn(B * 4 * S * S),
    };
    const dims: Record<string, number[]> = { sample: [B, 4, S, S], timestep: [B], encoder_hidden_states: [B, L, TINY_UNET.contextDim], target: [B, 4, S, S] };
    for (const p of values) { data[p.name] = p.data; dims[p.name] = p.dims; }
    const feeds = (over: Record<string, Float32Array> = {}) => Object.fromEntries(Object.keys(data).map((k) => [k, new ort.Tensor('float32', over[k] ?? data[k], dims[k])]));
    const wrt = [...params, 'sample', 'encoder_hidden_states'];
    const grad = await differentiate(model, { loss: 'loss', wrt, attention });
    expect(grad.graph!.node!.some((n) => n.domain && n.domain !== 'ai.onnx')).toBe(false);
    expect(grad.graph!.node!.filter((n) => n.opType === 'Scan').length).toBe(attention === 'fused' ? 14 : 0);

    const optimization = (process.env.GRAD_OPT ?? 'basic') as 'basic';
    const fwd = await createSession(model, { cache: false, optimization });
    const bwd = await createSession(grad, { cache: false, optimization });
    const base = await fwd.run(feeds());
    const full = await bwd.run(feeds());
    expect(Array.from(full.out_sample.data as Float32Array)).toEqual(Array.from(base.out_sample.data as Float32Array));
    expect(full.loss.data[0]).toBe(base.loss.data[0]);

    // Directional derivatives: all parameters jointly, a few single tensors, and the inputs.
    const groups: string[][] = [params, ['sample'], ['encoder_hidden_states'],
      ['down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight'], ['mid_block.resnets.0.conv1.weight'],
      ['up_blocks.1.resnets.1.norm1.weight'], ['down_blocks.1.attentions.0.transformer_blocks.0.norm3.bias'], ['time_embedding.linear_1.weight']];
    for (const group of groups) {
      const eps = group.length > 1 ? 5e-4 : 2e-3;
      const dirs = Object.fromEntries(group.map((n) => [n, randn(data[n].length)]));
      let analytic = 0;
      for (const n of group) {
        const g = full[`grad/${n}`].data as Float32Array;
        for (let i = 0; i < g.length; i++) analytic += g[i] * dirs[n][i];
      }
      const shifted = (sign: number) => Object.fromEntries(group.map((n) => [n, data[n].map((v, i) => v + sign * eps * dirs[n][i])]));
      const lp = Number((await fwd.run(feeds(shifted(1)))).loss.data[0]);
      const lm = Number((await fwd.run(feeds(shifted(-1)))).loss.data[0]);
      const numeric = (lp - lm) / (2 * eps);
      if (process.env.GRAD_DEBUG) console.log(group.length, group[0], analytic, numeric);
      expect(Math.abs(numeric - analytic), `${group.length > 1 ? 'all parameters' : group[0]}: analytic ${analytic} numeric ${numeric}`)
        .toBeLessThan(2e-2 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 3e-4);
    }
  });
});
