// The base-training graph: text encoder → UNet → weighted MSE on the prediction, in ONE graph so a single
// ORT run gives the loss and the gradients of both parts' weights. Per-item loss weights
// come in as `loss_scale` = √w: the graph multiplies the prediction by it and the caller feeds
// the target already multiplied, so loss = mean(w · (v̂ − v)²).
import { addMseLoss, GraphBuilder, type ModelProto } from '../../server/onnx/index.ts';
import type { DDIMScheduler } from '../../server/diffusion/index.ts';
import type { EmbeddedModelConfig } from './config.ts';
import { latentShape } from './config.ts';
import { ParamFactory } from './params.ts';
import { textEncoderBody } from './text-encoder.ts';
import { unetBody } from './unet.ts';

export interface TrainGraph {
  model: ModelProto;
  /** Trainable initializers (every weight and bias of both parts). */
  params: string[];
  loss: string;
}

export function buildTrainGraph(cfg: EmbeddedModelConfig, vocabSize: number, seed: number): TrainGraph {
  const g = new GraphBuilder({ name: 'svdiff_shapes_train' });
  const [lc] = latentShape(cfg);
  const ids = g.input('input_ids', 'int32', ['batch', 'sequence']);
  const sample = g.input('sample', 'float32', ['batch', lc, 'height', 'width']);
  const t = g.input('timestep', 'float32', ['batch']);
  // Same seeds as buildEmbeddedParts: a fresh training run starts from the same weights.
  const text = textEncoderBody({ g, p: new ParamFactory(g, seed + 1) }, cfg, vocabSize, ids);
  const eps = unetBody({ g, p: new ParamFactory(g, seed) }, cfg, sample, t, text);
  const scale = g.input('loss_scale', 'float32', ['batch', 1, 1, 1]);
  g.node('Mul', [eps, scale], {}, { output: 'out_sample' });
  g.output('out_sample', 'float32', ['batch', lc, 'height', 'width']);
  const params = g.initializers.map((i) => i.name!).filter((n) => n.endsWith('.weight') || n.endsWith('.bias'));
  const model = addMseLoss(g.toModel(), { output: 'out_sample', target: 'target', name: 'loss' });
  return { model, params, loss: 'loss' };
}

/**
 * The targets the graph is fed for one batch: v = √ᾱ·ε − √(1−ᾱ)·x₀ (v-prediction, as the
 * shipped scheduler says), each item weighted by w = γ/(SNR + γ). Where the image is drowned
 * (SNR ≪ γ) the v loss is the x̂₀ loss at full weight, which is where following the prompt is
 * learned; nearly clean timesteps (v ≈ ε: large, noisy losses that would dominate the batch)
 * are down-weighted, a softer Min-SNR-γ (Hang et al. 2023). Returns √w per item and √w·v.
 */
export function weightedVTargets(scheduler: DDIMScheduler, x0: Float32Array, noise: Float32Array, t: readonly number[], gamma: number): { target: Float32Array; scale: Float32Array } {
  const per = x0.length / t.length;
  const scale = Float32Array.from(t, (ti) => {
    const ab = scheduler.alphaCumprod(ti);
    return Math.sqrt(gamma / (ab / (1 - ab) + gamma));
  });
  const v = scheduler.getVelocity(x0, noise, t);
  return { target: Float32Array.from(v, (x, i) => x * scale[Math.floor(i / per)]), scale };
}
