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
    const perItem = g.timestep.dims.length === 1 && g.timestep.dims[0] === N;
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
      [g.timestep.name]: timestepsOfType(dtypeOf(g.timestep.elemType), tsValues, g.timestep.dims) ?? new ort.Tensor('float32', Float32Array.from(tsValues), g.timestep.dims),
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
