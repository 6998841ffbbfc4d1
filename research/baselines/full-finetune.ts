// Baseline for comparisons (`npm run eval:personalize`'s "full weights (UNet)" row): DreamBooth
// fine-tuning of every UNet weight and bias instead of spectral shifts, built on the product's
// training pieces (the loss graph and its gradients, the step feeds, AdamW at the run's
// learning rate, checkpoints, the step loop). The text encoder stays frozen (its states are
// fed); result.deltas holds the trained weights by initializer name, a PartOverride for the UNet.
import { liftParameters } from '../../server/onnx/index.ts';
import { checkTrainable, GraphTrainer, imageFeeds, lossGraphOptions, openTrainSession, runOptimizer, trainGraphFrom, trainOnce, type BatchItem, type GraphRun, type TrainResult } from '../../server/diffusion/training/index.ts';

/** The UNet's float weights and biases, by initializer name. */
const TRAINED = /\.(weight|bias)$/;

export class FullFineTuneTrainer extends GraphTrainer<BatchItem> {
  static async create(run: GraphRun): Promise<FullFineTuneTrainer> {
    const t0 = performance.now();
    const { model, settings: s } = run;
    if (s.parts !== 'unet') throw new Error(`the full fine-tune baseline trains the UNet only, not ${s.parts}`);
    checkTrainable(model, ['unet']);
    const o = lossGraphOptions(model, s);
    const unet = o.unet.model;
    const names = (unet.graph?.initializer ?? []).filter((t) => (t.dataType ?? 1) === 1 && TRAINED.test(t.name ?? '')).map((t) => t.name!);
    const lifted = liftParameters(unet, names);
    const params = lifted.params;
    const graph = await trainGraphFrom(o, {
      model: lifted.model,
      deltaInputs: new Map(names.map((n) => [n, n])),
      inputDims: (name) => params.find((p) => p.name === name)!.dims,
      trainInputs: params.map((p) => p.name),
    });
    const { session, info } = await openTrainSession(model, graph);
    const weights = new Map(params.map((p) => [p.name, p.data]));
    return new FullFineTuneTrainer(run, info, session, params, runOptimizer(params, s), weights, performance.now() - t0, imageFeeds(run, info, weights, params));
  }
}

/** Builds the baseline trainer, trains, releases the session. */
export function trainFullWeights(run: GraphRun): Promise<TrainResult> {
  return trainOnce(FullFineTuneTrainer.create(run));
}
