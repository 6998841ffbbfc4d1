// The step loop of one differentiated training graph, run in ONE ORT session, with its trained
// parameters and AdamW: a step fetches the loss, the per-kind terms and the gradients, stops on
// a non-finite value and otherwise updates; the loop runs steps [start, settings.steps),
// resuming from the latest checkpoint, stopping on abort or NaN, checkpointing every N steps.
// ShiftTrainer (loop.ts) is one, research/baselines' full fine-tune another, the concept
// eraser (../erase/) a third: each brings the source of its steps' feeds.
import { ARENA_MAX_BYTES, createSession, type AdamW, type Parameter, type Session, type ort } from '../../onnx/index.ts';
import type { LoadedModel } from '../model/index.ts';
import type { BatchItem } from './batch.ts';
import type { CheckpointStore } from './checkpoint.ts';
import type { CachedGraph, TrainGraphCache } from './graph-cache.ts';
import { microBatches, StepFeeds, type FeedSource } from './feeds.ts';
import { saveTrainState, restoreTrainState } from './train-state.ts';
import { LOSS, PER_ITEM, UNMIX, type TrainGraph, type TrainGraphInfo } from './train-graph.ts';
import type { StepReport } from './types.ts';

/** What the step loop reads of a run. */
export interface LoopRun {
  settings: { steps: number; checkpointEvery: number };
  checkpoints?: CheckpointStore;
  /** Where built training graphs are kept across runs (absent: built every run). */
  graphCache?: TrainGraphCache;
  signal?: AbortSignal;
  onStep?: (r: StepReport) => void;
  log?: (message: string) => void;
}

/** A run trained on images (the feeds of feeds.ts). */
export interface GraphRun extends Omit<LoopRun, 'settings'>, FeedSource {}

/** A step's items as the loop reports them: `instance` items and `class` (prior, or anchor) items. */
export interface StepItem {
  kind: 'instance' | 'class';
}

/** Where a trainer's step feeds come from. */
export interface StepSource<I extends StepItem = StepItem> {
  feeds(step: number): Promise<{ feeds: Record<string, ort.Tensor>; items: readonly I[] }>;
}

/** The image feeds of a GraphRun (feeds.ts) for a trainer's graph and trained tensors. */
export function imageFeeds(run: GraphRun, graph: TrainGraphInfo, deltas: ReadonlyMap<string, Float32Array>, params: readonly Parameter[]): StepSource<BatchItem> {
  return new StepFeeds(run, graph, deltas, params);
}

export interface TrainResult {
  /** δ of every SVD layer (untrained layers keep their starting value); a baseline's own trained tensors. */
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

/**
 * Opens the training session of `graph` and returns what the trainer keeps. The model's own
 * sessions are released first (they reopen on demand after training), and the ModelProto is
 * not kept: with SD 1.5 that is 4 GiB of inference sessions and the graph's weights and SVD
 * factors not held twice while training runs. No pre-packed weight copies (see SessionOptions).
 */
export async function openTrainSession(model: LoadedModel, graph: TrainGraph | CachedGraph): Promise<{ session: Session; info: TrainGraphInfo }> {
  await model.release();
  // A big model's training runs without the arena: a step's tensors go back to the system between
  // runs (the worker's malloc settings), so the base UNet and the VAE that run between steps do not
  // stack on them (13.5 GiB for SD 1.5).
  const big = model.partBytes('unet') >= ARENA_MAX_BYTES;
  const opts = { device: model.device, cache: false, prepacking: false, ...(big ? { enableCpuMemArena: false, enableMemPattern: true } : {}) };
  if ('file' in graph) return { session: await createSession(graph.file, opts), info: graph.info };
  const { model: proto, ...info } = graph;
  return { session: await createSession(proto, opts), info };
}

export class GraphTrainer<I extends StepItem = StepItem> {
  /** `deltas`: every tensor the graph is fed by key (deltaInputs' keys); `params` share the arrays of the trained ones. */
  protected constructor(
    readonly run: LoopRun,
    readonly graph: TrainGraphInfo,
    private readonly session: Session,
    readonly params: Parameter[],
    readonly optimizer: AdamW,
    readonly deltas: Map<string, Float32Array>,
    readonly setupMs: number,
    private readonly stepFeeds: StepSource<I>,
  ) {}

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
        restoreTrainState(ck, this.params, this.optimizer);
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
    await saveTrainState(this.run.checkpoints!, step, loss, this.params, this.optimizer);
  }

  /** The feeds of step `step` (exported for timing a forward pass on the same batch). */
  async feeds(step: number): Promise<{ feeds: Record<string, ort.Tensor>; items: readonly I[] }> {
    return this.stepFeeds.feeds(step);
  }

  /** Any tensors of the graph for step `step`'s batch at the current δ (diagnostics, tests; a graph run on the whole batch). */
  async outputs(step: number, names: string[]): Promise<{ out: Record<string, ort.Tensor>; items: readonly I[] }> {
    const { feeds, items } = await this.feeds(step);
    if (this.graph.batch < items.length) throw new Error(`outputs: this graph runs ${this.graph.batch} of the ${items.length} items at a time`);
    return { out: await this.session.run(feeds, names), items };
  }

  /** Loss of step `step`'s batch at the current δ, without updating. */
  async evaluate(step: number): Promise<number> {
    const { feeds, items } = await this.feeds(step);
    let loss = 0;
    for (const run of microBatches(this.graph, feeds, items.length)) loss += Number((await this.session.run(run, [LOSS]))[LOSS].data[0]);
    return loss;
  }

  /** Loss and gradients of step `step`'s batch at the current δ, without updating. */
  async gradients(step: number): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const { feeds, items } = await this.feeds(step);
    const out = await this.runBatch(feeds, items.length, [LOSS, ...this.params.map((p) => `grad/${p.name}`)]);
    return { loss: Number(out[LOSS][0]), grads: new Map(this.params.map((p) => [p.name, out[`grad/${p.name}`]])) };
  }

  /** The step's batch through the graph, in micro-batches where it has them: losses and gradients summed, per-item terms in order. */
  private async runBatch(feeds: Record<string, ort.Tensor>, items: number, fetches: string[]): Promise<Record<string, Float32Array>> {
    const sum: Record<string, Float32Array> = {};
    const per: Float32Array[] = [];
    for (const run of microBatches(this.graph, feeds, items)) {
      const out = await this.session.run(run, fetches);
      for (const name of fetches) {
        const v = out[name].data as Float32Array;
        if (name === PER_ITEM) per.push(v);
        else if (!sum[name]) sum[name] = Float32Array.from(v);
        else for (let i = 0; i < v.length; i++) sum[name][i] += v[i];
      }
    }
    const all = new Float32Array(items);
    let o = 0;
    for (const p of per) { all.set(p, o); o += p.length; }
    return { ...sum, [PER_ITEM]: all };
  }

  private async step(step: number): Promise<{ ok: boolean; loss: number; terms: StepReport['terms']; gradNorm: number }> {
    const { feeds, items } = await this.feeds(step);
    const fetches = [LOSS, PER_ITEM, ...(this.graph.attention.length ? [UNMIX] : []), ...this.params.map((p) => `grad/${p.name}`)];
    const out = await this.runBatch(feeds, items.length, fetches);
    const loss = Number(out[LOSS][0]);
    const per = out[PER_ITEM];
    const mean = (kind: StepItem['kind']) => {
      const v = items.map((it, i) => (it.kind === kind ? per[i] : NaN)).filter((x) => !Number.isNaN(x));
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
    };
    const terms = { instance: mean('instance'), prior: mean('class'), unmix: this.graph.attention.length ? Number(out[UNMIX][0]) : 0 };
    const grads: Record<string, Float32Array> = {};
    let finite = Number.isFinite(loss);
    for (const p of this.params) {
      const gr = out[`grad/${p.name}`];
      for (let i = 0; finite && i < gr.length; i++) finite = Number.isFinite(gr[i]);
      grads[p.name] = gr;
    }
    if (!finite) return { ok: false, loss, terms, gradNorm: NaN };
    const { gradNorm } = this.optimizer.step(grads);
    return { ok: true, loss, terms, gradNorm };
  }
}

/** Trains with the trainer `create` builds, then releases its session. */
export async function trainOnce(create: Promise<GraphTrainer<StepItem>>): Promise<TrainResult> {
  const trainer = await create;
  try {
    return await trainer.train();
  } finally {
    await trainer.release();
  }
}
