import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, ort } from '../../server/onnx/index.ts';
import { loadTokenizer, randn, readLayout } from '../../server/diffusion/index.ts';
import { EMBEDDED_CONFIG, TINY_TEST_CONFIG, buildEmbeddedParts, latentShape, writeEmbeddedModel } from './index.ts';

const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

function paramCount(model: ReturnType<typeof buildEmbeddedParts>['unet']): number {
  return (model.graph?.initializer ?? []).reduce((n, t) => n + (t.dims ?? []).reduce((a, b) => a * Number(b), 1), 0);
}

describe('embedded model', () => {
  it('writes a diffusers ONNX layout whose parts run with the expected shapes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'emb-')), 'tiny');
    await writeEmbeddedModel(dir, TINY_TEST_CONFIG, { seed: 1 });
    const layout = readLayout(dir);
    expect(layout.vaeScalingFactor).toBe(1);
    const tok = loadTokenizer(layout.tokenizerDir);
    expect(tok.maxLength).toBe(TINY_TEST_CONFIG.text.maxLength);

    const B = 2;
    const L = tok.maxLength;
    const ids = new Int32Array(B * L);
    ids.set(tok.encode('a small red circle'), 0);
    ids.set(tok.encode('a sks heart'), L);
    const text = await createSession(layout.parts.text_encoder);
    const hs = (await text.run({ input_ids: new ort.Tensor('int32', ids, [B, L]) })).last_hidden_state;
    expect(hs.dims).toEqual([B, L, TINY_TEST_CONFIG.text.width]);

    const [c, h, w] = latentShape(TINY_TEST_CONFIG);
    const unet = await createSession(layout.parts.unet);
    const out = await unet.run({
      sample: f32(randn(3, [B, c, h, w]), [B, c, h, w]),
      timestep: f32(new Float32Array([10, 900]), [B]),
      encoder_hidden_states: hs,
    });
    const o = out.out_sample.data as Float32Array;
    expect(out.out_sample.dims).toEqual([B, c, h, w]);
    expect(o.every(Number.isFinite)).toBe(true);
    // Random weights still depend on the inputs (the timestep reaches every resnet).
    expect(o.slice(0, c * h * w)).not.toEqual(o.slice(c * h * w));
  });

  it('VAE is an exact round trip between pixels and latents', async () => {
    const parts = buildEmbeddedParts(TINY_TEST_CONFIG, 1);
    const enc = await createSession(parts.vae_encoder);
    const dec = await createSession(parts.vae_decoder);
    const R = TINY_TEST_CONFIG.resolution;
    const px = randn(5, [1, 3, R, R]);
    const z = (await enc.run({ sample: f32(px, [1, 3, R, R]) })).latent_sample;
    expect(z.dims).toEqual([1, ...latentShape(TINY_TEST_CONFIG)]);
    const back = (await dec.run({ latent_sample: z })).sample.data as Float32Array;
    expect(back).toEqual(px);
    // A latent pixel holds one 2×2 pixel patch: channel (by·2+bx)·3+c at (y, x) is pixel (2y+by, 2x+bx) of colour c.
    const zd = z.data as Float32Array;
    const [, lh, lw] = latentShape(TINY_TEST_CONFIG);
    expect(zd[((1 * 2 + 0) * 3 + 2) * lh * lw + 3 * lw + 4]).toBe(px[2 * R * R + (2 * 3 + 1) * R + 2 * 4]);
  });

  it('text encoder is causal: padding after [EOS] never changes earlier states', async () => {
    const parts = buildEmbeddedParts(TINY_TEST_CONFIG, 2);
    const s = await createSession(parts.text_encoder);
    const L = TINY_TEST_CONFIG.text.maxLength;
    const a = new Int32Array(L).fill(0);
    a.set([1, 10, 11, 2]);
    const b = a.slice();
    b[6] = 20;
    const ha = (await s.run({ input_ids: new ort.Tensor('int32', a, [1, L]) })).last_hidden_state.data as Float32Array;
    const hb = (await s.run({ input_ids: new ort.Tensor('int32', b, [1, L]) })).last_hidden_state.data as Float32Array;
    const D = TINY_TEST_CONFIG.text.width;
    expect(hb.slice(0, 6 * D)).toEqual(ha.slice(0, 6 * D));
    expect(hb.slice(6 * D, 7 * D)).not.toEqual(ha.slice(6 * D, 7 * D));
  });

  it('the default configuration stays within the 20 MB budget', () => {
    const parts = buildEmbeddedParts(EMBEDDED_CONFIG, 0);
    const params = paramCount(parts.unet) + paramCount(parts.text_encoder);
    expect(params * 4).toBeLessThan(20e6);
    expect(paramCount(parts.unet)).toBeGreaterThan(1e6);
  });
});
