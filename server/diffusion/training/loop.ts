// The spectral-shift training loop (DreamBooth recipe, only δ trained): the training graph is
// built and differentiated once and run in ONE ORT session; each step draws its batch from
// its own Philox stream (seed, stream = step + 1), so a run resumed from a checkpoint at step
// k draws exactly what the uninterrupted run drew. AdamW has three learning rates (UNet matrix
// shifts at lr, the text encoder's at lrTextEncoder, 1-D norm-scale shifts at lr1d) and clips
// the global gradient norm.
import { AdamW, attentionFor, createSession, dtypeOf, loadModel, ort, type AdamWOptions, type Parameter, type Session } from '../../onnx/index.ts';
import { stackImages, type RgbImage } from '../../image/index.ts';
import type { SvdValue } from '../../spectral/index.ts';
import { float32ToHalf, timestepsOfType, type LoadedModel } from '../model/index.ts';
import { encodeImage } from '../pipeline/index.ts';
import { Rng } from '../rng.ts';
import { BaseTargets } from './base-targets.ts';
import { BaseTextStates } from './base-text.ts';
import { drawBatch, type BatchItem, type PreserveSet } from './batch.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { tokenPositions, unmixMask } from './cut-mix.ts';
import { TrainInputError } from './errors.ts';
import { buildTrainGraph, LOSS, PER_ITEM, TARGET, UNMIX, WEIGHTS, type TrainGraph } from './train-graph.ts';
import type { StepReport, TrainSettings } from './types.ts';

export interface TrainRun {
  model: LoadedModel;
  svd: SvdValue;
  settings: TrainSettings;
  /** Class images per subject (when λ > 0). */
  classImages?: RgbImage[][];
  /** Base-model images of settings.preservePrompts. */
  preserve?: PreserveSet[];
  /** Starting δ per layer (resume_shifts); missing layers start at 0. */
  initial?: ReadonlyMap<string, Float32Array>;
  checkpoints?: CheckpointStore;
  signal?: AbortSignal;
  onStep?: (r: StepReport) => void;
  log?: (message: string) => void;
  /** Baseline: train every UNet weight instead of shifts (result.deltas then holds weights by initializer). */
  fullWeights?: boolean;
}

export interface TrainResult {
  /** δ of every SVD layer (untrained layers keep their starting value). */
  deltas: Map<string, Float32Array>;
  stepsDone: number;
  partial: boolean;
  /** Why training stopped early. */
  stopped?: { reason: 'interrupted' | 'nan'; message: string };
  losses: number[];
  resumedFrom: number;
  trainedParameters: number;
  /** Mean wall time of a training step (ms), and of building the graph + session. */
  stepMs: number;
  setupMs: number;
}

/** Layers that get gradients for the chosen parts. */
export function trainedLayers(svd: SvdValue, parts: TrainSettings['parts']): string[] {
  const want = parts === 'unet+text_encoder' ? ['unet', 'text_encoder'] : ['unet'];
  const layers = [...svd.layers.values()].filter((l) => want.includes(l.part)).map((l) => l.name);
  if (parts === 'unet+text_encoder' && ![...svd.layers.values()].some((l) => l.part === 'text_encoder')) {
    throw new TrainInputError('train_parts', 'is unet+text_encoder, but the SVD has no text-encoder layers: decompose with parts unet+text_encoder');
  }
  if (layers.length === 0) throw new TrainInputError('svd', 'has no UNet layers to train');
  return layers;
}

export class ShiftTrainer {
  private constructor(
    readonly run: TrainRun,
    readonly graph: TrainGraph,
    private readonly session: Session,
    readonly params: Parameter[],
    readonly optimizer: AdamW,
    readonly deltas: Map<string, Float32Array>,
    readonly setupMs: number,
  ) {
    const s = run.settings;
    this.baseText = new BaseTextStates(run.model);
    if (s.priorWeight > 0 && s.priorTarget === 'base_prediction') this.baseTargets = new BaseTargets(run.model, this.baseText);
  }

  /** Base text-encoder states per prompt (the UNet-only feed and the prior targets share them). */
  private readonly baseText: BaseTextStates;
  /** Set when prior items regress onto the base model's prediction instead of their noise. */
  private baseTargets?: BaseTargets;

  static async create(run: TrainRun): Promise<ShiftTrainer> {
    const t0 = performance.now();
    const { model, svd, settings: s } = run;
    if (svd.modelHash !== model.contentHash) throw new TrainInputError('svd', `was made for model ${svd.modelHash.slice(0, 12)}, not ${model.name} (${model.contentHash.slice(0, 12)})`);
    const train = trainedLayers(svd, s.parts);
    const deltas = new Map<string, Float32Array>();
    for (const [name, l] of svd.layers) {
      const init = run.initial?.get(name);
      if (init && init.length !== l.k) throw new TrainInputError('resume_shifts', `layer ${name} has ${init.length} values, the SVD ${l.k}`);
      deltas.set(name, init ? Float32Array.from(init) : new Float32Array(l.k));
    }
    for (const name of run.initial?.keys() ?? []) {
      if (!svd.layers.has(name)) throw new TrainInputError('resume_shifts', `has layer ${name}, which the SVD does not decompose`);
    }
    // The text encoder joins the graph when trained, or when starting shifts move it.
    const teShifted = [...svd.layers.values()].some((l) => l.part === 'text_encoder' && deltas.get(l.name)!.some((v) => v !== 0));
    const withTe = s.parts === 'unet+text_encoder' || teShifted;
    const unetIo = model.io.unet;
    const teIo = model.io.text_encoder;
    const res = s.resolution;
    const graph = await buildTrainGraph({
      unet: { model: loadModel(model.layout.parts.unet, { externalData: 'lazy' }), inputs: unetIo.inputNames, output: unetIo.outputNames[0] },
      textEncoder: withTe ? { model: loadModel(model.layout.parts.text_encoder, { externalData: 'lazy' }), inputs: teIo.inputNames, output: teIo.outputNames[0] } : undefined,
      svd,
      trainLayers: train,
      batch: s.batchSize * (s.priorWeight > 0 ? 2 : 1),
      latent: [model.latentChannels, res / model.downscale, res / model.downscale],
      textLength: model.tokenizer.maxLength,
      textDim: model.geometry.textDim ?? 0,
      unmixWeight: s.subjects.length > 1 ? s.unmixWeight : 0,
      fullWeights: run.fullWeights,
      attention: attentionFor(model.device),
    });
    if (graph.fullParams) {
      deltas.clear();
      for (const p of graph.fullParams) deltas.set(p.name, p.data);
    }
    const session = await createSession(graph.model, { device: model.device, cache: false });
    const params: Parameter[] = graph.fullParams ?? train.map((l) => ({ name: graph.deltaInputs.get(l)!, dims: [svd.layers.get(l)!.k], data: deltas.get(l)! }));
    const teParams = new Set(graph.fullParams ? [] : train.filter((l) => svd.layers.get(l)!.part === 'text_encoder').map((l) => graph.deltaInputs.get(l)!));
    const oneD = new Set(graph.fullParams ? [] : train.filter((l) => svd.layers.get(l)!.kind === 'norm').map((l) => graph.deltaInputs.get(l)!));
    const opt: AdamWOptions = {
      lr: s.lr,
      weightDecay: s.weightDecay,
      maxGradNorm: s.maxGradNorm > 0 ? s.maxGradNorm : undefined,
      // First match wins: a text-encoder norm scale is 1-D first.
      groups: [
        { match: (n) => oneD.has(n), lr: s.lr1d, weightDecay: s.weightDecay },
        { match: (n) => teParams.has(n), lr: s.lrTextEncoder, weightDecay: s.weightDecay },
      ],
    };
    return new ShiftTrainer(run, graph, session, params, new AdamW(params, opt), deltas, performance.now() - t0);
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** Runs steps [start, settings.steps), checkpointing and stopping on abort or NaN. */
  async train(): Promise<TrainResult> {
    const { run } = this;
    const s = run.settings;
    let start = 0;
    if (run.checkpoints) {
      const ck = await run.checkpoints.latest(s.steps, (f, why) => run.log?.(`checkpoint ${f} skipped: ${why}`));
      if (ck) {
        this.restore(ck);
        start = ck.step;
        run.log?.(`resuming from the checkpoint at step ${ck.step} of ${s.steps}`);
      }
    }
    const losses: number[] = [];
    let stopped: TrainResult['stopped'];
    let step = start;
    let total = 0;
    for (; step < s.steps; step++) {
      if (run.signal?.aborted) {
        stopped = { reason: 'interrupted', message: `interrupted after ${step} of ${s.steps} steps` };
        break;
      }
      const t0 = performance.now();
      const r = await this.step(step);
      if (!r.ok) {
        stopped = { reason: 'nan', message: `loss became ${r.loss} at step ${step + 1}; kept the shifts of step ${step} (try a lower learning_rate or max_grad_norm)` };
        break;
      }
      const ms = performance.now() - t0;
      total += ms;
      losses.push(r.loss);
      run.onStep?.({ step: step + 1, steps: s.steps, loss: r.loss, terms: r.terms, gradNorm: r.gradNorm, ms });
      const every = s.checkpointEvery;
      if (run.checkpoints && every > 0 && ((step + 1) % every === 0 || step + 1 === s.steps)) await this.checkpoint(step + 1, r.loss);
    }
    if (stopped && run.checkpoints && step > start && s.checkpointEvery > 0 && step % s.checkpointEvery !== 0) await this.checkpoint(step, losses.at(-1) ?? NaN);
    const done = step - start;
    return {
      deltas: this.deltas,
      stepsDone: step,
      partial: stopped !== undefined,
      stopped,
      losses,
      resumedFrom: start,
      trainedParameters: this.params.reduce((a, p) => a + p.data.length, 0),
      stepMs: done > 0 ? total / Math.max(1, losses.length) : 0,
      setupMs: this.setupMs,
    };
  }

  private async checkpoint(step: number, loss: number): Promise<void> {
    const st = this.optimizer.state();
    await this.run.checkpoints!.save({
      step,
      adamT: st.t,
      params: this.params.map((p, i) => ({ name: p.name, data: p.data, m: st.m[i], v: st.v[i] })),
      meta: { loss: String(loss) },
    });
  }

  private restore(ck: Awaited<ReturnType<CheckpointStore['latest']>> & object): void {
    const byName = new Map(ck.params.map((p) => [p.name, p]));
    if (ck.params.length !== this.params.length || this.params.some((p) => byName.get(p.name)?.data.length !== p.data.length)) {
      throw new Error('checkpoint does not match the training graph (different layers); delete it or change an input');
    }
    for (const p of this.params) p.data.set(byName.get(p.name)!.data);
    this.optimizer.loadState({ t: ck.adamT, m: this.params.map((p) => byName.get(p.name)!.m), v: this.params.map((p) => byName.get(p.name)!.v) });
  }

  /** The feeds of step `step` (exported for timing a forward pass on the same batch). */
  async feeds(step: number): Promise<{ feeds: Record<string, ort.Tensor>; items: BatchItem[] }> {
    const { model, settings: s } = this.run;
    const rng = new Rng(s.seed, step + 1);
    const items = drawBatch(rng, { settings: s, classImages: this.run.classImages ?? [], preserve: this.run.preserve, downscale: model.downscale });
    const N = items.length;
    const latents = await encodeImage(model, stackImages(items.map((i) => i.image)));
    const noise = rng.normal(latents.samples.length);
    const T = model.config.scheduler.numTrainTimesteps;
    const ts = items.map(() => rng.int(T));
    const sched = model.scheduler();
    const noisy = sched.addNoise(latents.samples, noise, ts);
    const pred = model.config.scheduler.predictionType;
    const target = pred === 'epsilon' ? noise : pred === 'v_prediction' ? sched.getVelocity(latents.samples, noise, ts) : latents.samples;
    if (this.baseTargets) await this.baseTargets.fill(items, noisy, latents.shape, ts, target);
    const g = this.graph;
    const feeds: Record<string, ort.Tensor> = {
      [g.sample]: new ort.Tensor('float32', noisy, latents.shape),
      [g.timestep.name]: timestepsOfType(dtypeOf(g.timestep.elemType), ts) ?? new ort.Tensor('float32', Float32Array.from(ts), [N]),
      [TARGET]: new ort.Tensor('float32', target, latents.shape),
      [WEIGHTS]: new ort.Tensor('float32', Float32Array.from(items.map((i) => i.weight)), [N]),
      [g.text.name]: await this.textFeed(items.map((i) => i.prompt)),
    };
    const dims = new Map(this.params.map((p) => [p.name, p.dims]));
    for (const [layer, input] of g.deltaInputs) {
      const d = this.deltas.get(layer)!;
      feeds[input] = new ort.Tensor('float32', d, dims.get(input) ?? [d.length]);
    }
    for (const a of g.attention) feeds[a.mask] = new ort.Tensor('float32', this.attentionMask(items, a), a.maskDims);
    return { feeds, items };
  }

  /** Any tensors of the graph for step `step`'s batch at the current δ (diagnostics, tests). */
  async outputs(step: number, names: string[]): Promise<{ out: Record<string, ort.Tensor>; items: BatchItem[] }> {
    const { feeds, items } = await this.feeds(step);
    return { out: await this.session.run(feeds, names), items };
  }

  /** Loss of step `step`'s batch at the current δ, without updating. */
  async evaluate(step: number): Promise<number> {
    const { feeds } = await this.feeds(step);
    const out = await this.session.run(feeds, [LOSS]);
    return Number(out[LOSS].data[0]);
  }

  private async step(step: number): Promise<{ ok: boolean; loss: number; terms: StepReport['terms']; gradNorm: number }> {
    const { feeds, items } = await this.feeds(step);
    const fetches = [LOSS, PER_ITEM, ...(this.graph.attention.length ? [UNMIX] : []), ...this.params.map((p) => `grad/${p.name}`)];
    const out = await this.session.run(feeds, fetches);
    const loss = Number(out[LOSS].data[0]);
    const per = out[PER_ITEM].data as Float32Array;
    const mean = (kind: BatchItem['kind']) => {
      const v = items.map((it, i) => (it.kind === kind ? per[i] : NaN)).filter((x) => !Number.isNaN(x));
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
    };
    const terms = { instance: mean('instance'), prior: mean('class'), unmix: this.graph.attention.length ? Number(out[UNMIX].data[0]) : 0 };
    const grads: Record<string, Float32Array> = {};
    let finite = Number.isFinite(loss);
    for (const p of this.params) {
      const gr = out[`grad/${p.name}`].data as Float32Array;
      for (let i = 0; finite && i < gr.length; i++) finite = Number.isFinite(gr[i]);
      grads[p.name] = gr;
    }
    if (!finite) return { ok: false, loss, terms, gradNorm: NaN };
    const { gradNorm } = this.optimizer.step(grads);
    return { ok: true, loss, terms, gradNorm };
  }

  private async textFeed(prompts: string[]): Promise<ort.Tensor> {
    const { model } = this.run;
    const t = this.graph.text;
    const L = model.tokenizer.maxLength;
    if (t.dims.length === 2) {
      const ids = new Int32Array(prompts.length * L);
      prompts.forEach((p, i) => ids.set(model.tokenizer.encode(p), i * L));
      return t.elemType === 7 ? new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [prompts.length, L]) : new ort.Tensor('int32', ids, [prompts.length, L]);
    }
    // UNet only: the text encoder is not trained, so each prompt is encoded once.
    const D = t.dims[2];
    const out = (await this.baseText.stack(prompts)).data;
    return t.elemType === 10 ? new ort.Tensor('float16', float32ToHalf(out), [prompts.length, L, D]) : new ort.Tensor('float32', out, [prompts.length, L, D]);
  }

  /** Mask of one attention map: identifier tokens outside their region, normalised so Σ P·M is a mean. */
  private attentionMask(items: BatchItem[], a: TrainGraph['attention'][number]): Float32Array {
    const { model } = this.run;
    const tok = model.tokenizer;
    const L = tok.maxLength;
    const Q = a.h * a.w;
    const mask = new Float32Array(a.maskDims.reduce((x, y) => x * y, 1));
    const N = items.length;
    const heads = a.dims.length === 4 ? 1 : a.dims[0] / N;
    const latentW = this.run.settings.resolution / model.downscale;
    let active = 0;
    items.forEach((it, b) => {
      if (!it.mix) return;
      const ids = tok.encode(it.prompt);
      const tokens = it.mix.identifiers.map((id) => tokenPositions(ids, tok.idsOf(id)));
      const m = unmixMask({ regions: it.mix.regions, tokens }, latentW, a.h, a.w, L);
      for (let hd = 0; hd < heads; hd++) mask.set(m, (b * heads + hd) * Q * L);
      for (const v of m) active += v * heads;
    });
    if (active > 0) {
      const perHead = a.dims.length === 4 ? a.dims[1] : 1;
      const scale = 1 / (active * perHead);
      for (let i = 0; i < mask.length; i++) mask[i] *= scale;
    }
    return mask;
  }
}

/** Builds the trainer, trains, releases the session. */
export async function trainShifts(run: TrainRun): Promise<TrainResult> {
  const trainer = await ShiftTrainer.create(run);
  try {
    return await trainer.train();
  } finally {
    await trainer.release();
  }
}
