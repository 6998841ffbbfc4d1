// The concept eraser: the UNet in an adapter's training form (rank-r adapters on its linear and
// conv layers, or δ on their singular values), SPM's erasing + anchoring loss (feeds.ts) through
// the training graph's weighted ε-MSE, one ORT session, AdamW; the step loop is graph-trainer.ts'.
import { AdamW, attentionFor, type Parameter } from '../../onnx/index.ts';
import { addAdapters, adapterTargets, inScope, type Adapter, type AdapterLayer, type AdapterTarget } from '../../adapters/index.ts';
import { addSpectralShifts, DEFAULT_SELECTION, decomposeModel, makeShifts, modelLayers, type SvdValue } from '../../spectral/index.ts';
import { InputError } from '../../core/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { Rng } from '../rng.ts';
import { GraphTrainer, openTrainSession, trainOnce, type LoopRun, type TrainResult } from '../training/graph-trainer.ts';
import { checkTrainable } from '../training/trainable.ts';
import { microBatch, partGraph, trainGraphFrom, type LossGraphOptions, type TrainableGraph } from '../training/train-graph.ts';
import { EraseFeeds, type EraseItem } from './feeds.ts';
import type { EraseSettings } from './types.ts';

export interface EraseRun extends LoopRun {
  model: LoadedModel;
  settings: EraseSettings;
  /** Spectral mode: the SVD of the UNet's layers (decomposed, from the cache, when absent). */
  svd?: SvdValue;
  cacheDir?: string;
}

export interface EraseOutput {
  adapter: Adapter;
  result: TrainResult;
}

/** Adapter init as LoRA's: up = 0 (the adapter starts as the identity), down ~ U(±1/√in). */
function initialAdapter(t: AdapterTarget, rank: number, rng: Rng): { up: Float32Array; down: Float32Array } {
  const b = 1 / Math.sqrt(t.in);
  return { up: new Float32Array(t.out * rank), down: rng.uniform(rank * t.in, -b, b) };
}

export class EraseTrainer extends GraphTrainer<EraseItem> {
  declare readonly run: EraseRun;
  private targets: AdapterTarget[] = [];
  private svd?: SvdValue;

  static async create(run: EraseRun): Promise<EraseTrainer> {
    const t0 = performance.now();
    const { model, settings: s } = run;
    checkTrainable(model, ['unet']);
    const h = s.resolution / model.downscale;
    const items = s.batchSize + (s.anchorWeight > 0 ? s.anchorCount : 0);
    const lossOpts: LossGraphOptions = {
      unet: partGraph(model, 'unet'),
      batch: microBatch(items, h, h, 1),
      latent: [model.latentChannels, h, h],
      textLength: model.tokenizer.maxLength,
      textDim: model.geometry.textDim ?? 0,
      unmixWeight: 0,
      attention: attentionFor(model.device),
    };
    const values = new Map<string, Float32Array>();
    const dims = new Map<string, readonly number[]>();
    let trainable: TrainableGraph;
    let targets: AdapterTarget[] = [];
    let svd: SvdValue | undefined;
    if (s.mode === 'adapter') {
      targets = adapterTargets(modelLayers(model, ['unet']), s.layers);
      if (targets.length === 0) throw new InputError('layers', `selects no linear or conv layer of this model's UNet (${s.layers})`);
      const g = addAdapters(lossOpts.unet.model, targets, { rank: s.rank, alpha: 1 });
      const rng = new Rng(s.seed, 0);
      for (const t of targets) {
        const init = initialAdapter(t, s.rank, rng);
        values.set(`${t.name}/up`, init.up).set(`${t.name}/down`, init.down);
      }
      for (const [key, input] of g.inputs) dims.set(input, g.dims.get(key)!);
      trainable = { model: g.model, deltaInputs: g.inputs, inputDims: (key) => g.dims.get(key)!, trainInputs: [...g.inputs.values()] };
    } else {
      svd = run.svd ?? (await decomposeModel(model, DEFAULT_SELECTION, { cacheDir: run.cacheDir, signal: run.signal })).svd;
      if (svd.modelHash !== model.contentHash) throw new InputError('svd', `was made for model ${svd.modelHash.slice(0, 12)}, not ${model.name}`);
      const g = addSpectralShifts(lossOpts.unet.model, svd, 'unet');
      const train = [...svd.layers.values()].filter((l) => l.part === 'unet' && l.kind !== 'norm' && inScope(l.name, s.layers));
      if (train.length === 0) throw new InputError('svd', 'has no UNet matrix layers to train');
      for (const [layer, input] of g.deltaInputs) {
        const k = svd.layers.get(layer)!.k;
        values.set(layer, new Float32Array(k));
        dims.set(input, [k]);
      }
      trainable = { model: g.model, deltaInputs: g.deltaInputs, inputDims: (key) => [svd!.layers.get(key)!.k], trainInputs: train.map((l) => g.deltaInputs.get(l.name)!), shifts: [...g.factors.values()] };
    }
    const graph = await trainGraphFrom(lossOpts, trainable);
    run.log?.(`erasing graph: ${graph.model.graph?.node?.length ?? 0} nodes, ${graph.trainInputs.length} trained inputs, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const { session, info } = await openTrainSession(model, graph);
    const keyOf = new Map([...info.deltaInputs].map(([k, v]) => [v, k]));
    const params: Parameter[] = info.trainInputs.map((name) => ({ name, dims: [...dims.get(name)!], data: values.get(keyOf.get(name)!)! }));
    const optimizer = new AdamW(params, { lr: s.lr, weightDecay: s.weightDecay, maxGradNorm: s.maxGradNorm > 0 ? s.maxGradNorm : undefined });
    const feeds = await EraseFeeds.create(model, s, info, values, dims);
    const trainer = new EraseTrainer(run, info, session, params, optimizer, values, performance.now() - t0, feeds);
    trainer.targets = targets;
    trainer.svd = svd;
    return trainer;
  }

  /** The trained adapter (its current values). */
  adapter(): Adapter {
    const { model, settings: s } = this.run;
    const metadata = { svdiff_erase: JSON.stringify({ mode: s.mode, layers: s.layers, target_prompts: s.targetPrompts, surrogate: s.surrogate, eta: s.eta, anchor_weight: s.anchorWeight, anchor_count: s.anchorCount, steps: s.steps, lr: s.lr, seed: s.seed }) };
    if (this.svd) {
      return { modelHash: model.contentHash, layers: new Map(), spectral: makeShifts(model.contentHash, new Map([...this.deltas].map(([k, v]) => [k, Float32Array.from(v)]))), concepts: s.concepts, metadata };
    }
    const layers = new Map<string, AdapterLayer>();
    for (const t of this.targets) {
      layers.set(t.name, {
        name: t.name, rank: s.rank, alpha: 1, out: t.out, in: t.in,
        up: Float32Array.from(this.deltas.get(`${t.name}/up`)!), down: Float32Array.from(this.deltas.get(`${t.name}/down`)!),
        ...(t.shape.length === 4 ? { kernel: t.shape.slice(2) } : {}),
      });
    }
    return { modelHash: model.contentHash, layers, concepts: s.concepts, metadata };
  }
}

export async function trainErase(run: EraseRun): Promise<EraseOutput> {
  const trainer = await EraseTrainer.create(run);
  const result = await trainOnce(Promise.resolve(trainer));
  return { adapter: trainer.adapter(), result };
}
