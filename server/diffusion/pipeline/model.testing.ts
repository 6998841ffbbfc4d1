// Test helpers (not a test file): small model folders built on the spot, nothing downloaded.
//  - tinyModelDir(): the embedded architecture at TINY_TEST_CONFIG with random weights.
//  - writeGaussianUnet(): replaces a folder's UNet by the exact ε-predictor for N(0, s²·I)
//    data whose mean μ depends on the prompt. A random UNet's probability-flow ODE is far
//    from smooth (DDIM inversion of it drifts); this one is smooth, so a DDIM round trip
//    measures the pipeline, not the model. With `fp16`, its I/O is float16, the timestep
//    int64 and one weight float16 (as an fp16 export).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, saveModel, type ModelProto } from '../../onnx/index.ts';
import { writeEmbeddedModel, TINY_TEST_CONFIG } from '../../../research/embedded-model/index.ts';
import { float32ToHalf } from '../../onnx/float16.ts';
import { makeNoiseSchedule, parseSchedulerConfig } from '../scheduler/index.ts';

const made: string[] = [];

/** A fresh copy of the tiny embedded model in a temp folder (removed at process exit). */
export async function tinyModelDir(seed = 7): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'svdiff-model-'));
  made.push(root);
  const dir = join(root, 'tiny');
  await writeEmbeddedModel(dir, TINY_TEST_CONFIG, { seed });
  return dir;
}

process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export interface GaussianUnetOptions {
  channels: number;
  textDim: number;
  /** Std of the data the predictor is optimal for. Default 1. */
  dataStd?: number;
  /** The data mean μ = gain · (first text feature, averaged over tokens). Initializer `text_gain`. */
  textGain?: number;
  fp16?: boolean;
  /** Declare the timestep as shape [1] (some exports do; the value broadcasts over the batch). */
  staticTimestep?: boolean;
}

// SD 1.5's scheduler as its folder holds it: the predictor below is exact under this schedule,
// and writeGaussianUnet writes this same object, so the model and its folder cannot disagree.
const SD15_SCHEDULER_JSON = {
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
};

export function gaussianUnet(o: GaussianUnetOptions): ModelProto {
  const { alphasCumprod } = makeNoiseSchedule(parseSchedulerConfig(SD15_SCHEDULER_JSON));
  const s2 = (o.dataStd ?? 1) ** 2;
  // ε*(x, t) = sqrt(1−ᾱ)·(x − sqrt(ᾱ)·μ) / (ᾱ·s² + 1 − ᾱ) for x₀ ~ N(μ, s²·I), μ from the prompt.
  const coef = Float32Array.from(alphasCumprod, (a) => Math.sqrt(1 - a) / (a * s2 + 1 - a));
  const g = new GraphBuilder({ name: 'gaussian-unet' });
  const ft = o.fp16 ? 'float16' : 'float32';
  g.input('sample', ft, ['batch', o.channels, 'height', 'width']);
  g.input('timestep', o.fp16 ? 'int64' : 'float32', [o.staticTimestep ? 1 : 'batch']);
  g.input('encoder_hidden_states', ft, ['batch', 'sequence', o.textDim]);
  const x = o.fp16 ? g.node('Cast', ['sample'], { to: 1 }) : 'sample';
  const text = o.fp16 ? g.node('Cast', ['encoder_hidden_states'], { to: 1 }) : 'encoder_hidden_states';
  const tIdx = g.node('Cast', ['timestep'], { to: 7 });
  const c = g.node('Gather', [g.constant(coef, [coef.length], 'float32', 'coef'), tIdx], { axis: 0 });
  const c4 = g.node('Reshape', [c, g.ints([-1, 1, 1, 1])]);
  const sqrtA = Float32Array.from(alphasCumprod, (a) => Math.sqrt(a));
  const sa4 = g.node('Reshape', [g.node('Gather', [g.constant(sqrtA, [sqrtA.length], 'float32', 'sqrt_alpha'), tIdx], { axis: 0 }), g.ints([-1, 1, 1, 1])]);
  // The first feature averaged over tokens (the full mean is 0 after the encoder's LayerNorm).
  const m = g.node('ReduceMean', [text, g.ints([1])], { keepdims: 1 });
  const first = g.node('Slice', [m, g.ints([0]), g.ints([1]), g.ints([2])]);
  const m4 = g.node('Unsqueeze', [first, g.ints([3])]);
  const gain = o.fp16
    ? g.node('Cast', [g.initializer('text_gain', float32ToHalf([o.textGain ?? 0.05]), [1], 'float16')], { to: 1 })
    : g.initializer('text_gain', [o.textGain ?? 0.05], [1], 'float32');
  // Data mean μ = gain · feature: ε*(x, t) = c_t · (x − sqrt(ᾱ_t)·μ).
  const mu = g.node('Mul', [m4, gain]);
  const out = g.node('Mul', [g.node('Sub', [x, g.node('Mul', [mu, sa4])]), c4]);
  if (o.fp16) g.node('Cast', [out], { to: 10 }, { output: 'out_sample' });
  else g.node('Identity', [out], {}, { output: 'out_sample' });
  g.output('out_sample', ft, ['batch', o.channels, 'height', 'width']);
  return g.toModel();
}

export function writeGaussianUnet(dir: string, o: GaussianUnetOptions): void {
  saveModel(gaussianUnet(o), join(dir, 'unet', 'model.onnx'), { location: 'model.onnx_data' });
  writeFileSync(join(dir, 'scheduler', 'scheduler_config.json'), `${JSON.stringify(SD15_SCHEDULER_JSON, null, 2)}\n`);
}

/** PSNR in dB of two equally long arrays of values in [0, 1]. */
export function psnr(a: Float32Array, b: Float32Array): number {
  let mse = 0;
  for (let i = 0; i < a.length; i++) mse += (a[i] - b[i]) ** 2;
  mse /= a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** A smooth test image, NHWC in [0, 1]. */
export function testImage(width: number, height: number, batch = 1): { data: Float32Array; shape: [number, number, number, number] } {
  const data = new Float32Array(batch * width * height * 3);
  let i = 0;
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) data[i++] = 0.5 + 0.4 * Math.sin((x + 1) * 0.35 * (c + 1) + y * 0.2 + b);
  return { data, shape: [batch, height, width, 3] };
}
