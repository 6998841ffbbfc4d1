// The feeds of one erasing step (SPM's objective, no images needed). Once per run, the frozen
// model denoises `trajectoryPool` seeded noise latents per target prompt through the
// `trajectorySteps` DDIM schedule (guidance as SPM's 3) and keeps every intermediate latent.
// A step draws from its own random stream a target prompt, a depth k and B of its trajectories:
// x_t is their latent after k steps, at the schedule's next timestep t. Then, with the frozen
// model at (x_t, t):
//   erase items  (text = target):   regress onto ε(c_sur) − η·(ε(c_tar) − ε(c_sur)),  weight 1/B
//   anchor items (text = an anchor, x_t of item j mod B): onto ε(c_a),              weight λ/A
// The surrogate prompt is always one of the anchors: the erasing target is measured from its
// prediction, and with classifier-free guidance it is also the unconditional branch (the empty
// prompt), so holding it keeps the guidance direction the sampler sees exactly −η·(ε(c_tar) − ε(c_sur)).
// so the adapted model forgets the target and keeps what it did for the anchors. x_t comes from
// the frozen model (SPM's code denoises with the adapter in place): it depends on nothing trained,
// so a resumed run draws exactly what the uninterrupted one drew.
import { dtypeOf, ort } from '../../onnx/index.ts';
import { timestepsOfType, type LoadedModel } from '../model/index.ts';
import { Denoiser, encodeText, unetRows } from '../pipeline/index.ts';
import { Rng } from '../rng.ts';
import type { StepItem, StepSource } from '../training/graph-trainer.ts';
import { TARGET, WEIGHTS, type TrainGraphInfo } from '../training/train-graph.ts';
import { AnchorSampler } from './anchors.ts';
import type { EraseSettings } from './types.ts';

export interface EraseItem extends StepItem {
  /** The target prompt, or the anchor's text. */
  text: string;
}

export class EraseFeeds implements StepSource<EraseItem> {
  private readonly states = new Map<string, Float32Array>();
  /** Per target prompt: latents [pool, C, h, w] before each step of the schedule. */
  private readonly pool = new Map<string, Float32Array[]>();

  private constructor(
    private readonly model: LoadedModel,
    private readonly s: EraseSettings,
    private readonly graph: TrainGraphInfo,
    private readonly values: ReadonlyMap<string, Float32Array>,
    private readonly dims: ReadonlyMap<string, readonly number[]>,
    private readonly anchors: AnchorSampler,
  ) {}

  /** `values`: the trained tensors by graph key, fed as they are at each call; `dims` their shapes by input name. */
  static async create(model: LoadedModel, s: EraseSettings, graph: TrainGraphInfo, values: ReadonlyMap<string, Float32Array>, dims: ReadonlyMap<string, readonly number[]>): Promise<EraseFeeds> {
    const anchors = await AnchorSampler.create(model, s.concepts, s.anchorPrompts);
    const f = new EraseFeeds(model, s, graph, values, dims, anchors);
    await f.fillPool();
    return f;
  }

  private async fillPool(): Promise<void> {
    const { model, s } = this;
    const P = s.trajectoryPool;
    const h = s.resolution / model.downscale;
    const shape = [P, model.latentChannels, h, h];
    const sched = model.scheduler();
    const ts = sched.timesteps(s.trajectorySteps);
    for (const [i, prompt] of s.targetPrompts.entries()) {
      const rng = new Rng(s.seed, 1_000_000 + i);
      let x = rng.normal(P * shape[1] * h * h);
      for (let q = 0; q < x.length; q++) x[q] *= sched.initNoiseSigma;
      const denoiser = await Denoiser.create(model, { prompt, negativePrompt: '', guidance: s.trajectoryGuidance, batch: P });
      const levels: Float32Array[] = [];
      for (let k = 0; k < ts.length; k++) {
        levels.push(x);
        const eps = await denoiser.predict(x, shape, ts[k]);
        x = sched.step(eps, ts[k], x, { numInferenceSteps: s.trajectorySteps }).prevSample;
      }
      this.pool.set(prompt, levels);
    }
  }

  private async statesOf(prompt: string): Promise<Float32Array> {
    let h = this.states.get(prompt);
    if (!h) {
      h = (await encodeText(this.model, [prompt])).data.slice();
      this.states.set(prompt, h);
    }
    return h;
  }

  async feeds(step: number): Promise<{ feeds: Record<string, ort.Tensor>; items: EraseItem[] }> {
    const { model, s, graph: g } = this;
    const rng = new Rng(s.seed, step + 1);
    const B = s.batchSize;
    const prompt = s.targetPrompts[rng.int(s.targetPrompts.length)];
    const k = 1 + rng.int(s.trajectorySteps - 1);
    const C = model.latentChannels;
    const h = s.resolution / model.downscale;
    const per = C * h * h;
    const ts = model.scheduler().timesteps(s.trajectorySteps);
    const level = this.pool.get(prompt)![k];
    const xt = new Float32Array(B * per);
    for (let j = 0; j < B; j++) {
      const r = rng.int(s.trajectoryPool);
      xt.set(level.subarray(r * per, (r + 1) * per), j * per);
    }
    const t = ts[k];

    const A = s.anchorWeight > 0 ? s.anchorCount : 0;
    const target = await this.statesOf(prompt);
    const sur = await this.statesOf(s.surrogate);
    const anchors = A > 0 ? [{ states: sur, text: s.surrogate }, ...(await this.anchors.draw(rng, A - 1, { ids: model.tokenizer.idsOf(prompt), states: target }, s.anchorBand))] : [];
    const LD = target.length;
    const N = B + A;
    // Frozen predictions: [x_t | c_sur] ×B, [x_t | c_tar] ×B, [x_t(j mod B) | c_a] ×A.
    const rows = 2 * B + A;
    const xin = new Float32Array(rows * per);
    const text = new Float32Array(rows * LD);
    for (let j = 0; j < B; j++) {
      xin.set(xt.subarray(j * per, (j + 1) * per), j * per);
      xin.set(xt.subarray(j * per, (j + 1) * per), (B + j) * per);
      text.set(sur, j * LD);
      text.set(target, (B + j) * LD);
    }
    anchors.forEach((a, j) => {
      xin.set(xt.subarray((j % B) * per, (j % B + 1) * per), (2 * B + j) * per);
      text.set(a.states, (2 * B + j) * LD);
    });
    const eps = await frozenNoise(model, xin, [rows, C, h, h], t, text);

    const sample = new Float32Array(N * per);
    const goal = new Float32Array(N * per);
    const trainText = new Float32Array(N * LD);
    for (let j = 0; j < B; j++) {
      sample.set(xt.subarray(j * per, (j + 1) * per), j * per);
      trainText.set(target, j * LD);
      for (let q = 0; q < per; q++) {
        const es = eps[j * per + q];
        const et = eps[(B + j) * per + q];
        goal[j * per + q] = es - s.eta * (et - es);
      }
    }
    for (let j = 0; j < A; j++) {
      sample.set(xin.subarray((2 * B + j) * per, (2 * B + j + 1) * per), (B + j) * per);
      goal.set(eps.subarray((2 * B + j) * per, (2 * B + j + 1) * per), (B + j) * per);
      trainText.set(anchors[j].states, (B + j) * LD);
    }
    const items: EraseItem[] = [
      ...Array.from({ length: B }, () => ({ kind: 'instance' as const, text: prompt })),
      ...anchors.map((a) => ({ kind: 'class' as const, text: a.text })),
    ];
    const weights = Float32Array.from(items, (it) => (it.kind === 'instance' ? 1 / B : s.anchorWeight / A));
    const perItem = g.timestep.perItem;
    const tsValues = perItem ? new Array<number>(N).fill(t) : [t];
    const feeds: Record<string, ort.Tensor> = {
      [g.sample]: new ort.Tensor('float32', sample, [N, C, h, h]),
      [g.timestep.name]: timestepsOfType(dtypeOf(g.timestep.elemType), tsValues, perItem ? [N] : g.timestep.dims) ?? new ort.Tensor('float32', Float32Array.from(tsValues), perItem ? [N] : g.timestep.dims),
      [TARGET]: new ort.Tensor('float32', goal, [N, C, h, h]),
      [WEIGHTS]: new ort.Tensor('float32', weights, [N]),
      [g.text.name]: new ort.Tensor('float32', trainText, [N, model.tokenizer.maxLength, LD / model.tokenizer.maxLength]),
    };
    for (const [key, input] of g.deltaInputs) {
      const v = this.values.get(key)!;
      feeds[input] = new ort.Tensor('float32', v, this.dims.get(input) ?? [v.length]);
    }
    return { feeds, items };
  }
}

/** The frozen UNet's ε for latents [n, C, h, w] at timestep t with text states [n, L·D]. */
export async function frozenNoise(model: LoadedModel, x: Float32Array, shape: readonly number[], t: number, text: Float32Array): Promise<Float32Array> {
  const unet = await model.runner('unet');
  const L = model.tokenizer.maxLength;
  const LD = text.length / shape[0];
  return unetRows(unet, x, shape, t, (r0, m) => unet.floatTensor(unet.inputNames[2], text.subarray(r0 * LD, (r0 + m) * LD), [m, L, LD / L]));
}
