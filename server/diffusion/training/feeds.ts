// The feeds of one training step. Each step draws its batch from its own Philox stream (seed,
// stream = step + 1), so a run resumed from a checkpoint at step k draws exactly what the
// uninterrupted run drew. The batch's images are VAE-encoded and noised at random timesteps
// (one per item, or one for the batch where the UNet takes a scalar timestep);
// the target is what the model's prediction type regresses onto (ε, v or x₀), or for prior
// items under base_prediction the base model's own prediction. With them go the per-item
// loss weights, the text, the current values of the trained inputs and the unmix masks.
import { dtypeOf, ort, type Parameter } from '../../onnx/index.ts';
import { stackImages, type RgbImage } from '../../image/index.ts';
import { timestepsOfType, type LoadedModel } from '../model/index.ts';
import { encodeImage } from '../pipeline/index.ts';
import { Rng } from '../rng.ts';
import { attentionMask } from './attention-mask.ts';
import { BaseTargets } from './base-targets.ts';
import { BaseTextStates } from './base-text.ts';
import { drawBatch, type BatchItem, type PreserveSet } from './batch.ts';
import { textFeed } from './text-feed.ts';
import { TARGET, WEIGHTS, type TrainGraphInfo } from './train-graph.ts';
import type { TrainSettings } from './types.ts';

/** What the batches are drawn from. */
export interface FeedSource {
  model: LoadedModel;
  settings: TrainSettings;
  /** Class images per subject (when λ > 0). */
  classImages?: RgbImage[][];
  /** Base-model images of settings.preservePrompts. */
  preserve?: PreserveSet[];
}

export class StepFeeds {
  /** Base text-encoder states per prompt (the UNet-only feed and the prior targets share them). */
  private readonly baseText: BaseTextStates;
  /** Set when prior items regress onto the base model's prediction instead of their noise. */
  private readonly baseTargets?: BaseTargets;
  private readonly dims: Map<string, number[]>;

  /** `values`: the trained tensors by graph key (deltaInputs' keys), fed as they are at each call. */
  constructor(
    private readonly source: FeedSource,
    private readonly graph: TrainGraphInfo,
    private readonly values: ReadonlyMap<string, Float32Array>,
    params: readonly Parameter[],
  ) {
    const s = source.settings;
    this.baseText = new BaseTextStates(source.model);
    if (s.priorWeight > 0 && s.priorTarget === 'base_prediction') this.baseTargets = new BaseTargets(source.model, this.baseText);
    this.dims = new Map(params.map((p) => [p.name, p.dims]));
  }

  async feeds(step: number): Promise<{ feeds: Record<string, ort.Tensor>; items: BatchItem[] }> {
    const { model, settings: s } = this.source;
    const rng = new Rng(s.seed, step + 1);
    const items = drawBatch(rng, { settings: s, classImages: this.source.classImages ?? [], preserve: this.source.preserve, downscale: model.downscale });
    const N = items.length;
    const latents = await encodeImage(model, stackImages(items.map((i) => i.image)));
    const noise = rng.normal(latents.samples.length);
    const T = model.config.scheduler.numTrainTimesteps;
    const g = this.graph;
    // One timestep per item; a UNet that takes one timestep (a scalar, as optimum's current
    // export declares it) gets one draw for the whole batch.
    const perItem = g.timestep.perItem;
    const shared = perItem ? 0 : rng.int(T);
    const ts = items.map(() => (perItem ? rng.int(T) : shared));
    const sched = model.scheduler();
    const noisy = sched.addNoise(latents.samples, noise, ts);
    const pred = model.config.scheduler.predictionType;
    const target = pred === 'epsilon' ? noise : pred === 'v_prediction' ? sched.getVelocity(latents.samples, noise, ts) : latents.samples;
    if (this.baseTargets) await this.baseTargets.fill(items, noisy, latents.shape, ts, target);
    const tsValues = perItem ? ts : ts.slice(0, 1);
    const feeds: Record<string, ort.Tensor> = {
      [g.sample]: new ort.Tensor('float32', noisy, latents.shape),
      [g.timestep.name]: timestepsOfType(dtypeOf(g.timestep.elemType), tsValues, perItem ? [N] : g.timestep.dims) ?? new ort.Tensor('float32', Float32Array.from(tsValues), perItem ? [N] : g.timestep.dims),
      [TARGET]: new ort.Tensor('float32', target, latents.shape),
      [WEIGHTS]: new ort.Tensor('float32', Float32Array.from(items.map((i) => i.weight)), [N]),
      [g.text.name]: await textFeed(model, g.text, this.baseText, items.map((i) => i.prompt)),
    };
    for (const [key, input] of g.deltaInputs) {
      const d = this.values.get(key)!;
      feeds[input] = new ort.Tensor('float32', d, this.dims.get(input) ?? [d.length]);
    }
    const latentW = s.resolution / model.downscale;
    for (const a of g.attention) feeds[a.mask] = new ort.Tensor('float32', attentionMask(model.tokenizer, items, a, latentW), a.maskDims);
    return { feeds, items };
  }
}

/**
 * A step's feeds cut into runs of `graph.batch` items along the first axis of every per-item
 * input (sample, target, weights, text, per-item timesteps); the trained tensors go to each.
 */
export function microBatches(graph: TrainGraphInfo, feeds: Record<string, ort.Tensor>, items: number): Record<string, ort.Tensor>[] {
  const b = graph.batch;
  if (b >= items) return [feeds];
  if (graph.attention.length) throw new Error('training: a multi-subject step cannot run in micro-batches');
  const perItem = new Set([graph.sample, TARGET, WEIGHTS, graph.text.name, ...(graph.timestep.perItem ? [graph.timestep.name] : [])]);
  const runs: Record<string, ort.Tensor>[] = [];
  for (let i0 = 0; i0 < items; i0 += b) {
    const run: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (!perItem.has(name)) { run[name] = t; continue; }
      const per = t.size / items;
      const data = (t.data as Float32Array).subarray(i0 * per, (i0 + b) * per);
      run[name] = new ort.Tensor(t.type as 'float32', data as Float32Array, [b, ...t.dims.slice(1)]);
    }
    runs.push(run);
  }
  return runs;
}
