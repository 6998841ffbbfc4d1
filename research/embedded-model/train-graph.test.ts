import { describe, expect, it } from 'vitest';
import { createSession, ort } from '../../server/onnx/index.ts';
import { DDIMScheduler, randn } from '../../server/diffusion/index.ts';
import { tokenizerVocabulary } from '../datasets/vocabulary.ts';
import { TINY_TEST_CONFIG, buildEmbeddedParts, latentShape } from './index.ts';
import { SCHEDULER_CONFIG } from './write-model.ts';
import { buildTrainGraph, weightedVTargets } from './train-graph.ts';

const scheduler = DDIMScheduler.fromDiffusersConfig(SCHEDULER_CONFIG);

describe('base-training targets', () => {
  it('are √w·v with w = γ/(SNR + γ): full weight where the image is drowned, little where it is clean', () => {
    const per = 6;
    const x0 = randn(1, [3, per]);
    const noise = randn(2, [3, per]);
    const t = [999, 500, 0];
    const { target, scale } = weightedVTargets(scheduler, x0, noise, t, 20);
    expect(scale[0]).toBeGreaterThan(0.999);
    expect(scale[1]).toBeGreaterThan(0.9);
    expect(scale[2] ** 2).toBeLessThan(0.01);
    const v = scheduler.getVelocity(x0, noise, t);
    for (let i = 0; i < target.length; i++) expect(target[i]).toBeCloseTo(v[i] * scale[Math.floor(i / per)], 6);
    // v at t = 999 is nearly −x₀: the model is asked for the image itself.
    for (let i = 0; i < per; i++) expect(v[i]).toBeCloseTo(-x0[i], 1);
  });
});

describe('base-training graph', () => {
  it('computes mean(w·(v̂ − v)²) with v̂ from the same text encoder and UNet that ship', async () => {
    const cfg = TINY_TEST_CONFIG;
    const vocab = tokenizerVocabulary();
    const vocabSize = Math.max(...Object.values(vocab)) + 1;
    const graph = buildTrainGraph(cfg, vocabSize, 4);
    const parts = buildEmbeddedParts(cfg, 4, vocab);
    const B = 2;
    const L = cfg.text.maxLength;
    const [c, h, w] = latentShape(cfg);
    const ids = new Int32Array(B * L);
    ids.set([1, vocab.a, vocab.red, vocab.circle, 2], 0);
    ids.set([1, 2], L);
    const sample = randn(5, [B, c, h, w]);
    const target = randn(6, [B, c, h, w]);
    const scale = new Float32Array([1, 0.5]);
    const t = new Float32Array([900, 30]);

    const train = await createSession(graph.model, { cache: false });
    const loss = (await train.run({
      input_ids: new ort.Tensor('int32', ids, [B, L]),
      sample: new ort.Tensor('float32', sample, [B, c, h, w]),
      timestep: new ort.Tensor('float32', t, [B]),
      target: new ort.Tensor('float32', target, [B, c, h, w]),
      loss_scale: new ort.Tensor('float32', scale, [B, 1, 1, 1]),
    }, ['loss'])).loss.data[0] as number;

    const text = await createSession(parts.text_encoder, { cache: false });
    const hs = (await text.run({ input_ids: new ort.Tensor('int32', ids, [B, L]) })).last_hidden_state;
    const unet = await createSession(parts.unet, { cache: false });
    const pred = (await unet.run({ sample: new ort.Tensor('float32', sample, [B, c, h, w]), timestep: new ort.Tensor('float32', t, [B]), encoder_hidden_states: hs })).out_sample.data as Float32Array;
    const per = c * h * w;
    let sum = 0;
    for (let i = 0; i < pred.length; i++) sum += (pred[i] * scale[Math.floor(i / per)] - target[i]) ** 2;
    expect(loss).toBeCloseTo(sum / pred.length, 5);
    expect(graph.params).toContain('add_embedding.linear_1.weight');
    await Promise.all([train.release(), text.release(), unet.release()]);
  });
});
