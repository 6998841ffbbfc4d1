// The torch-exported tiny SD 1.5 parts run by ONNX Runtime against torch float64 references
// (test/fixtures/sd15-tiny/reference/unet-float64.json, written by generate.py --reference), and
// the studio's autodiff on the exported UNet against torch autograd in float64.
//
// Tolerances: the float32 graphs see exactly the reference's inputs and weights (float32
// values), so they differ from it only by float32 rounding (u = 6e-8) accumulated over the
// network: the UNet's loss agrees to ~1e-8 and its output to ~4e-7 of its scale; gradients,
// through ~100 more layers backwards, to at most 3.3e-5 of each gradient's largest entry (a
// GroupNorm scale at the 1×1 bottleneck, where the group statistics of four values cancel).
// The bounds below leave ~6× headroom over what was measured; a wrong rule, layout or
// transposition gives errors of order 1. The fp16 export has weights rounded to half
// precision (2^-11 relative), so its forward is held to 5e-3.
//
// fp16 gradients: every weight is rounded to half (unit roundoff u16 = 2^-11 ≈ 4.9e-4 against
// the reference's float32 weights), and in the half run every activation and gradient too. To
// first order a gradient moves by κ·u for a relative perturbation u, and the float32 path
// measures κ: its errors (~1e-6–9e-6 of scale, 2.7e-5 at the bottleneck GroupNorm scale, for
// u32 = 6e-8) say κ ≲ 150 for nine of the ten gradients and ≈ 450 for that one, which predicts
// ≲ 0.07 and ≲ 0.2 at u16. Measured: the half run 1.7e-3–4.9e-3 (8.9e-3 at the bottleneck), the
// graph lifted to float32 (half weights, float32 arithmetic: what training differentiates)
// 1.2e-3–3.9e-3 (2.7e-2 at the bottleneck: its four-value group statistics make it the most
// sensitive to the weights' rounding, which the half run's own roundings partly offset). The
// bounds, 2e-2 and 1e-1, leave ~4× headroom over those and stay under the first-order
// prediction; a wrong rule for half tensors (a constant read as its bit pattern, say) gives
// errors of order 1 or NaN.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { addMseLoss, createSession, differentiate, float32ToHalf, halfToFloat32, loadModel, ort, type ModelProto } from '../../server/onnx/index.ts';
import { findSpectralLayers } from '../../server/spectral/index.ts';
import { liftToFloat32 } from '../../server/diffusion/training/float32-graph.ts';
import { FIXTURES, FLOAT32_VARIANTS, reference, relMaxError, type Tensor64 } from './sd15.testing.ts';

const ref = reference();
const GRAD_TOL = 2e-4;
/** Bounds for the fp16 export's gradients (see above): the bottleneck GroupNorm scale, the rest. */
const HALF_BOTTLENECK = 'mid_block.resnets.0.norm1.weight';
const halfGradTol = (name: string) => (name === HALF_BOTTLENECK ? 1e-1 : 2e-2);

function floatTensor(t: Tensor64, half: boolean): ort.Tensor {
  const data = Float32Array.from(t.data);
  return half ? new ort.Tensor('float16', float32ToHalf(data), t.dims) : new ort.Tensor('float32', data, t.dims);
}
const toFloat = (t: ort.Tensor) => (t.type === 'float16' ? halfToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
const part = (variant: string, name: string) => loadModel(join(FIXTURES, variant, name, 'model.onnx'));

function unetFeeds(half: boolean): Record<string, ort.Tensor> {
  return {
    sample: floatTensor(ref.inputs.sample, half),
    timestep: new ort.Tensor('int64', BigInt64Array.from(ref.inputs.timestep.data, (t) => BigInt(t)), ref.inputs.timestep.dims),
    encoder_hidden_states: floatTensor(ref.inputs.encoder_hidden_states, half),
  };
}

function mse(out: Float32Array, target: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += (out[i] - target[i]) ** 2;
  return s / out.length;
}

/** A copy of `model` that also outputs the tensor `nodeName`'s node writes (an intermediate). */
function exposing(model: ModelProto, nodeName: string): { model: ModelProto; output: string } {
  const node = model.graph!.node!.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  const output = node.output![0];
  return { model: { ...model, graph: { ...model.graph, output: [...model.graph!.output!, { name: output }] } }, output };
}

describe.each([...FLOAT32_VARIANTS, 'fp16'] as const)('forward against torch float64, %s', (variant) => {
  const half = variant === 'fp16';
  const tol = half ? 5e-3 : 1e-5;

  it('UNet: out_sample and the MSE loss', async () => {
    const s = await createSession(part(variant, 'unet'), { cache: false });
    const out = toFloat((await s.run(unetFeeds(half))).out_sample);
    expect(relMaxError(out, ref.out_sample.data)).toBeLessThan(tol);
    expect(Math.abs(mse(out, ref.inputs.target.data) - ref.loss) / ref.loss).toBeLessThan(half ? 1e-3 : 1e-6);
  });

  it('text encoder: last_hidden_state and pooler_output (the EOS token’s state)', async () => {
    const s = await createSession(part(variant, 'text_encoder'), { cache: false });
    const ids = ref.text_encoder.input_ids;
    const out = await s.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [1, ids.length]) });
    expect(relMaxError(toFloat(out.last_hidden_state), ref.text_encoder.last_hidden_state.data)).toBeLessThan(tol);
    expect(relMaxError(toFloat(out.pooler_output), ref.text_encoder.pooler_output.data)).toBeLessThan(tol);
  });

  it('VAE decoder, and the encoder’s [mean, logvar] before its random draw (latent_sample)', async () => {
    const dec = await createSession(part(variant, 'vae_decoder'), { cache: false });
    const img = await dec.run({ latent_sample: floatTensor(ref.vae_decoder.latent_sample, half) });
    expect(relMaxError(toFloat(img.sample), ref.vae_decoder.sample.data)).toBeLessThan(tol);
    const { model, output } = exposing(part(variant, 'vae_encoder'), '/quant_conv/Conv');
    const enc = await createSession(model, { cache: false });
    const moments = await enc.run({ sample: floatTensor(ref.vae_encoder.sample, half) });
    expect(relMaxError(toFloat(moments[output]), ref.vae_encoder.latent_parameters.data)).toBeLessThan(tol);
    expect(moments.latent_sample.dims).toEqual([1, 4, 8, 8]);
  });
});

/** Loss and each reference gradient's error (relMaxError) from the studio's autodiff of `unet`. */
async function gradientErrors(unet: ModelProto, half: boolean): Promise<{ loss: number; errors: Record<string, number>; initializers: Record<string, string> }> {
  // Exporters rename weights (onnx::MatMul_N, GroupNorm scales folded to [C,1,1] onnx::Mul_N);
  // the studio's spectral layer search maps module paths back to them.
  const layers = new Map(findSpectralLayers(unet, 'unet').map((l) => [l.name, l]));
  const wanted = Object.entries(ref.gradients).map(([name, g]) => {
    const layer = layers.get(name.replace(/\.weight$/, ''));
    expect(layer, name).toBeDefined();
    // Stored as [in, out] where a MatMul reads it directly: torch's [out, in] transposed.
    return { name, g, initializer: layer!.initializer, transposed: layer!.use === 'MatMul' };
  });
  const model = await differentiate(addMseLoss(unet, { output: 'out_sample', target: 'target' }), {
    loss: 'loss',
    wrt: wanted.map((w) => w.initializer),
    inputShapes: { sample: ref.inputs.sample.dims, timestep: ref.inputs.timestep.dims, encoder_hidden_states: ref.inputs.encoder_hidden_states.dims, target: ref.inputs.target.dims },
  });
  const s = await createSession(model, { cache: false });
  const out = await s.run({ ...unetFeeds(half), target: floatTensor(ref.inputs.target, half) });
  const errors: Record<string, number> = {};
  for (const w of wanted) {
    let got = toFloat(out[`grad/${w.initializer}`]);
    if (w.transposed) {
      const [o, i] = w.g.shape;
      const t = new Float32Array(o * i);
      for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) t[a * i + b] = got[b * o + a];
      got = t;
    }
    errors[w.name] = relMaxError(got, w.g.data);
  }
  return { loss: toFloat(out.loss)[0], errors, initializers: Object.fromEntries(wanted.map((w) => [w.name, w.initializer])) };
}

describe.each(FLOAT32_VARIANTS)('autodiff of the exported UNet against torch autograd (float64), %s', (variant) => {
  it(`loss and gradients of ${Object.keys(ref.gradients).length} named weights within ${GRAD_TOL} of their scale`, async () => {
    const { loss, errors, initializers } = await gradientErrors(part(variant, 'unet'), false);
    if (variant === 'opset14') for (const [name, g] of Object.entries(ref.gradients)) expect(initializers[name], name).toBe(g.initializer);
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-6);
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(GRAD_TOL);
  }, 120_000);
});

describe('autodiff of the fp16 export against torch autograd (float64)', () => {
  it('in half precision, and lifted to float32 (the training graph’s form)', async () => {
    const unet = part('fp16', 'unet');
    const halfRun = await gradientErrors(unet, true);
    const lifted = await gradientErrors(liftToFloat32(unet), false);
    // The half loss is itself a half (spacing 2^-10 near 1.15); the forward test's bound.
    expect(Math.abs(halfRun.loss - ref.loss) / ref.loss).toBeLessThan(1e-3);
    expect(Math.abs(lifted.loss - ref.loss) / ref.loss).toBeLessThan(1e-3);
    for (const run of [halfRun, lifted]) for (const [name, e] of Object.entries(run.errors)) expect(e, name).toBeLessThan(halfGradTol(name));
  }, 180_000);
});
