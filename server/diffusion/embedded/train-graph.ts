// The base-training graph: text encoder → UNet → ε-prediction MSE, in ONE graph so a single
// ORT run gives the loss and the gradients of both parts' weights. Initializer names equal the
// part models' (same module paths), so trained values drop straight into the shipped parts.
import { GraphBuilder, type ModelProto } from '../../onnx/index.ts';
import { addMseLoss } from '../../onnx/autodiff/losses.ts';
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
  g.node('Identity', [eps], {}, { output: 'out_sample' });
  g.output('out_sample', 'float32', ['batch', lc, 'height', 'width']);
  const params = g.initializers.map((i) => i.name!).filter((n) => n.endsWith('.weight') || n.endsWith('.bias'));
  const model = addMseLoss(g.toModel(), { output: 'out_sample', target: 'noise', name: 'loss' });
  return { model, params, loss: 'loss' };
}
