// Training runner: differentiate once, open one session, then each step feeds the batch and
// the current parameters, reads loss + gradients (one ORT run: forward and backward) and
// applies AdamW.
import ort from 'onnxruntime-node';
import type { ModelProto } from '../proto.ts';
import { attentionFor, differentiate } from '../autodiff/differentiate.ts';
import { createSession, type Device, type Session } from '../session.ts';
import { AdamW, type AdamWOptions } from './adamw.ts';
import { bakeParameters, liftParameters, type Parameter } from './params.ts';

export interface TrainerOptions {
  /** Scalar loss tensor of the model (see addMseLoss / addWeightedSum). */
  loss: string;
  /** Initializers to train. */
  params: readonly string[];
  /** Shapes of the data inputs (needed when the model has free dims). */
  inputShapes?: Record<string, readonly number[]>;
  device?: Device;
  threads?: number;
  optimizer?: AdamWOptions;
  /** Extra model outputs to return from each step. */
  fetch?: string[];
}

export interface StepResult { loss: number; gradNorm: number; outputs: Record<string, ort.Tensor> }

export class Trainer {
  private constructor(
    readonly gradModel: ModelProto,
    private readonly baseModel: ModelProto,
    readonly params: Parameter[],
    private readonly session: Session,
    readonly optimizer: AdamW,
    private readonly opts: TrainerOptions,
  ) {}

  static async create(model: ModelProto, opts: TrainerOptions): Promise<Trainer> {
    const { model: lifted, params } = liftParameters(model, opts.params);
    const shapes: Record<string, readonly number[]> = { ...(opts.inputShapes ?? {}) };
    for (const p of params) shapes[p.name] = p.dims;
    const gradModel = await differentiate(lifted, { loss: opts.loss, wrt: params.map((p) => p.name), inputShapes: shapes, attention: attentionFor(opts.device ?? 'cpu') });
    const session = await createSession(gradModel, { device: opts.device, threads: opts.threads, cache: false });
    return new Trainer(gradModel, lifted, params, session, new AdamW(params, opts.optimizer), opts);
  }

  /** Loss and gradients for a batch, without updating. */
  async compute(feeds: Record<string, ort.Tensor>): Promise<{ loss: number; grads: Record<string, Float32Array>; outputs: Record<string, ort.Tensor> }> {
    const all: Record<string, ort.Tensor> = { ...feeds };
    for (const p of this.params) all[p.name] = new ort.Tensor('float32', p.data, p.dims);
    const fetches = [this.opts.loss, ...this.params.map((p) => `grad/${p.name}`), ...(this.opts.fetch ?? [])];
    const out = await this.session.run(all, fetches);
    const grads: Record<string, Float32Array> = {};
    for (const p of this.params) grads[p.name] = out[`grad/${p.name}`].data as Float32Array;
    const outputs: Record<string, ort.Tensor> = {};
    for (const f of this.opts.fetch ?? []) outputs[f] = out[f];
    return { loss: Number(out[this.opts.loss].data[0]), grads, outputs };
  }

  async step(feeds: Record<string, ort.Tensor>): Promise<StepResult> {
    const { loss, grads, outputs } = await this.compute(feeds);
    const { gradNorm } = this.optimizer.step(grads);
    return { loss, gradNorm, outputs };
  }

  /** The original model with the trained parameter values as initializers. */
  exportModel(): ModelProto { return bakeParameters(this.baseModel, this.params); }

  async release(): Promise<void> { await this.session.release(); }
}
