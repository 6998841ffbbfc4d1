// The spectral-shift trainer (DreamBooth recipe, only δ trained): the training graph is built
// and differentiated once and run in ONE ORT session by the step loop of graph-trainer.ts,
// each step's batch fed by feeds.ts. AdamW has three learning rates (UNet matrix shifts at
// lr, the text encoder's at lrTextEncoder, 1-D norm-scale shifts at lr1d; optimizer.ts) and
// clips the global gradient norm.
import type { BatchItem } from './batch.ts';
import type { Parameter } from '../../onnx/index.ts';
import type { SvdValue } from '../../spectral/index.ts';
import { InputError } from '../../core/index.ts';
import { checkTrainable } from './trainable.ts';
import { GraphTrainer, imageFeeds, openTrainSession, trainOnce, type GraphRun, type TrainResult } from './graph-trainer.ts';
import { runOptimizer, shiftGroups } from './optimizer.ts';
import type { CachedGraph } from './graph-cache.ts';
import { buildTrainGraph, lossGraphOptions, partGraph, type TrainGraph } from './train-graph.ts';
import type { TrainSettings } from './types.ts';

export type { TrainResult } from './graph-trainer.ts';

export interface TrainRun extends GraphRun {
  svd: SvdValue;
  /** Starting δ per layer (resume_shifts); missing layers start at 0. */
  initial?: ReadonlyMap<string, Float32Array>;
  /** Items per run of the training graph (tests); default microBatch()'s choice. */
  graphBatch?: number;
  /** false: every shift rebuilds W_δ (tests compare against it); default: activations where cheaper. */
  shiftActivations?: boolean;
}

/** Layers that get gradients for the chosen parts. */
export function trainedLayers(svd: SvdValue, parts: TrainSettings['parts']): string[] {
  const want = parts === 'unet+text_encoder' ? ['unet', 'text_encoder'] : ['unet'];
  const layers = [...svd.layers.values()].filter((l) => want.includes(l.part)).map((l) => l.name);
  if (parts === 'unet+text_encoder' && ![...svd.layers.values()].some((l) => l.part === 'text_encoder')) {
    throw new InputError('train_parts', 'is unet+text_encoder, but the SVD has no text-encoder layers: decompose with parts unet+text_encoder');
  }
  if (layers.length === 0) throw new InputError('svd', 'has no UNet layers to train');
  return layers;
}

export class ShiftTrainer extends GraphTrainer<BatchItem> {
  declare readonly run: TrainRun;

  static async create(run: TrainRun): Promise<ShiftTrainer> {
    const t0 = performance.now();
    const { model, svd, settings: s } = run;
    if (svd.modelHash !== model.contentHash) throw new InputError('svd', `was made for model ${svd.modelHash.slice(0, 12)}, not ${model.name} (${model.contentHash.slice(0, 12)})`);
    const train = trainedLayers(svd, s.parts);
    const deltas = new Map<string, Float32Array>();
    for (const [name, l] of svd.layers) {
      const init = run.initial?.get(name);
      if (init && init.length !== l.k) throw new InputError('resume_shifts', `layer ${name} has ${init.length} values, the SVD ${l.k}`);
      deltas.set(name, init ? Float32Array.from(init) : new Float32Array(l.k));
    }
    for (const name of run.initial?.keys() ?? []) {
      if (!svd.layers.has(name)) throw new InputError('resume_shifts', `has layer ${name}, which the SVD does not decompose`);
    }
    // The text encoder joins the graph when trained, or when starting shifts move it.
    const teShifted = [...svd.layers.values()].some((l) => l.part === 'text_encoder' && deltas.get(l.name)!.some((v) => v !== 0));
    const withTe = s.parts === 'unet+text_encoder' || teShifted;
    checkTrainable(model, withTe ? ['unet', 'text_encoder'] : ['unet']);
    const options = { ...lossGraphOptions(model, s, run.graphBatch), shiftActivations: run.shiftActivations };
    const { unet: _unet, ...graphOptions } = options;
    // Everything the graph is built from (the model by its content hash, the SVD by its layers).
    const key = run.graphCache?.key({
      model: model.contentHash, graphOptions, withTe, train,
      layers: [...svd.layers.values()].map((l) => [l.name, l.part, l.k, l.stored ? 'stored' : 'memory']),
    });
    let graph: TrainGraph | CachedGraph | undefined = key ? run.graphCache!.load(key) : undefined;
    if (graph) run.log?.(`training graph: the one built before for this model, layer selection and batch, found in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    else {
      const built = await buildTrainGraph({ ...options, textEncoder: withTe ? partGraph(model, 'text_encoder') : undefined, svd, trainLayers: train });
      run.log?.(`training graph: ${built.model.graph?.node?.length ?? 0} nodes, ${built.activationShifts.length} of ${built.deltaInputs.size} shifts on activations, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (key) {
        const ts = performance.now();
        graph = run.graphCache!.save(key, built);
        run.log?.(`training graph: saved for later runs in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
      } else graph = built;
    }
    const t2 = performance.now();
    const { session, info } = await openTrainSession(model, graph);
    run.log?.(`training session opened in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
    const params: Parameter[] = train.map((l) => ({ name: info.deltaInputs.get(l)!, dims: [svd.layers.get(l)!.k], data: deltas.get(l)! }));
    const optimizer = runOptimizer(params, s, shiftGroups(svd, train, info.deltaInputs, s));
    return new ShiftTrainer(run, info, session, params, optimizer, deltas, performance.now() - t0, imageFeeds(run, info, deltas, params));
  }
}

/** Builds the trainer, trains, releases the session. */
export async function trainShifts(run: TrainRun): Promise<TrainResult> {
  return trainOnce(ShiftTrainer.create(run));
}
