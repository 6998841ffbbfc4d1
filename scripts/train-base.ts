// `npm run train:base`: trains the embedded default model from scratch on the procedural
// shapes dataset with the project's own ONNX autodiff (one ORT run = forward + backward of
// text encoder + UNet), with progress, periodic checkpoints and resume. Writes the trained
// model to models/svdiff-shapes/ in the diffusers ONNX layout, with its config and loss curve.
import { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { AdamW, Trainer, createSession, loadModel, readTensorBytes, ort, type AdamWState } from '../server/onnx/index.ts';
import { EMBEDDED_CONFIG, SCHEDULER_CONFIG, buildEmbeddedParts, buildTrainGraph, latentShape, weightedVTargets, writeEmbeddedModel } from '../research/embedded-model/index.ts';
import { datasetBatch, tokenizerVocabulary } from '../research/datasets/index.ts';
import { createWordLevelTokenizer, DDIMScheduler, Rng } from '../server/diffusion/index.ts';
import { batchToNchw } from '../server/image/index.ts';
import { writeFileAtomic } from '../server/storage.ts';
import { plotLinePng } from './lib/plot.ts';

const program = new Command('train-base')
  .option('--steps <n>', 'optimiser steps (the time budget usually ends the run first)', '20000')
  .option('--batch <n>', 'batch size', '32')
  .option('--lr <x>', 'peak learning rate', '1e-3')
  .option('--warmup <n>', 'linear warm-up steps', '100')
  .option('--minutes <x>', 'time budget: stop early and write the model when it runs out', '80')
  .option('--checkpoint-every <n>', 'steps between checkpoints', '100')
  .option('--seed <n>', 'seed of weights, data and noise', '0')
  .option('--threads <n>', 'ORT intra-op threads', String(cpus().length))
  .option('--out <dir>', 'model folder to write', 'models/svdiff-shapes')
  .option('--work <dir>', 'checkpoint folder', 'data/train-base')
  .option('--fresh', 'ignore an existing checkpoint')
  .option('--export-only', 'write the model from the latest checkpoint without training')
  .option('--ema-decay <x>', 'decay of the weight average the model is written from', '0.999')
  .option('--mid-t-share <x>', 'share of timesteps drawn from 200–599, where the shape is decided (the rest uniform over 0–999)', '0.5')
  .option('--init-from <dir>', 'start from the weights of a model folder (a warm restart: fresh optimiser state)')
  // A different caption mix (the erasing eval's "community" variant: shorter captions, fewer gray backgrounds).
  .option('--attribute-dropout <x>', 'chance that each of size / colour / position / background is left out of a caption', '0.15')
  .option('--gray-share <x>', 'share of images on the default gray background', '0.35')
  .parse();
const o = program.opts();
const steps = Number(o.steps);
const B = Number(o.batch);
const seed = Number(o.seed);
const cfg = EMBEDDED_CONFIG;
const settings = {
  steps, batch: B, lr: Number(o.lr), warmup: Number(o.warmup), seed, config: cfg, weightDecay: 0.01, maxGradNorm: 1, emptyCaptionRate: 0.1,
  scheduler: SCHEDULER_CONFIG, lossGamma: 20, emaDecay: Number(o.emaDecay), midTShare: Number(o.midTShare),
  // Only in the key when they differ from the defaults, so existing checkpoints keep resuming.
  ...(Number(o.attributeDropout) !== 0.15 ? { attributeDropout: Number(o.attributeDropout) } : {}),
  ...(Number(o.grayShare) !== 0.35 ? { grayShare: Number(o.grayShare) } : {}),
};
if (!(settings.midTShare >= 0 && settings.midTShare <= 1)) program.error(`train-base: --mid-t-share must be between 0 and 1, got ${o.midTShare}`);
const runKey = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
const work = resolve(o.work);
mkdirSync(work, { recursive: true });

const vocab = tokenizerVocabulary();
const vocabSize = Math.max(...Object.values(vocab)) + 1;
const tokenizer = createWordLevelTokenizer({ vocab, maxLength: cfg.text.maxLength });
const L = tokenizer.maxLength;
const [lc, lh, lw] = latentShape(cfg);
const scheduler = DDIMScheduler.fromDiffusersConfig(SCHEDULER_CONFIG);
const MID_T = [200, 600] as const;

const graph = buildTrainGraph(cfg, vocabSize, seed);
console.log(`building the training graph (${graph.params.length} tensors) …`);
const trainer = await Trainer.create(graph.model, {
  loss: graph.loss,
  params: graph.params,
  threads: Number(o.threads),
  inputShapes: { input_ids: [B, L], sample: [B, lc, lh, lw], timestep: [B], target: [B, lc, lh, lw], loss_scale: [B, 1, 1, 1] },
  optimizer: { lr: settings.lr, weightDecay: settings.weightDecay, maxGradNorm: settings.maxGradNorm },
});
const optimizer: AdamW = trainer.optimizer;
const vaeEncoder = await createSession(buildEmbeddedParts(cfg, seed).vae_encoder);
const nParams = trainer.params.reduce((n, p) => n + p.data.length, 0);

// Exponential moving average of the weights: the model is written from it (diffusion models
// sample far better from averaged weights than from the last noisy step's).
const avgWeights = trainer.params.map((p) => Float32Array.from(p.data));
function updateEma(step: number): void {
  const d = Math.min(settings.emaDecay, (1 + step) / (10 + step));
  trainer.params.forEach((p, k) => {
    const e = avgWeights[k];
    for (let i = 0; i < e.length; i++) e[i] += (1 - d) * (p.data[i] - e[i]);
  });
}

// --- checkpoints: parameters (f32), AdamW moments (f64), EMA (f32), step, losses --------
const ckptMeta = join(work, 'checkpoint.json');
const ckptData = join(work, 'checkpoint.bin');
let start = 0;
let losses: number[] = [];
if (!o.fresh && existsSync(ckptMeta)) {
  const meta = JSON.parse(readFileSync(ckptMeta, 'utf8')) as { runKey: string; step: number; losses: number[]; t: number };
  if (meta.runKey === runKey) {
    const buf = readFileSync(ckptData);
    let off = 0;
    for (const p of trainer.params) {
      p.data.set(new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + p.data.byteLength)));
      off += p.data.byteLength;
    }
    const take = () => trainer.params.map((p) => {
      const a = new Float64Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + p.data.length * 8));
      off += p.data.length * 8;
      return a;
    });
    const m = take();
    const v = take();
    optimizer.loadState({ t: meta.t, m, v });
    for (const e of avgWeights) {
      e.set(new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + e.byteLength)));
      off += e.byteLength;
    }
    start = meta.step;
    losses = meta.losses;
    console.log(`resumed from step ${start}`);
  } else console.log('checkpoint is of other settings: starting fresh');
}

async function checkpoint(step: number): Promise<void> {
  const st: AdamWState = optimizer.state();
  const parts: Uint8Array[] = [];
  for (const p of trainer.params) parts.push(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  for (const a of [...st.m, ...st.v, ...avgWeights]) parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  await writeFileAtomic(ckptData, Buffer.concat(parts));
  await writeFileAtomic(ckptMeta, JSON.stringify({ runKey, step, t: st.t, losses, settings }));
}

if (start === 0 && o.initFrom) {
  const byName = new Map(trainer.params.map((p) => [p.name, p]));
  let n = 0;
  for (const part of ['unet', 'text_encoder']) {
    for (const t of loadModel(join(resolve(o.initFrom), part, 'model.onnx')).graph?.initializer ?? []) {
      const p = byName.get(t.name!);
      if (!p) continue;
      const b = readTensorBytes(t);
      if (b.byteLength !== p.data.byteLength) throw new Error(`--init-from: ${t.name} has ${b.byteLength} bytes, expected ${p.data.byteLength}`);
      p.data.set(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
      n++;
    }
  }
  if (n !== byName.size) throw new Error(`--init-from: found ${n} of ${byName.size} parameters in ${o.initFrom}`);
  trainer.params.forEach((p, k) => avgWeights[k].set(p.data));
  console.log(`initialised ${n} tensors from ${o.initFrom}`);
}

// --- one step: data, noise and timesteps depend only on (seed, step) → resume is exact ---
async function batchFeeds(step: number): Promise<Record<string, ort.Tensor>> {
  const data = datasetBatch(seed, step * B, B, { resolution: cfg.resolution, emptyCaptionRate: settings.emptyCaptionRate, attributeDropout: Number(o.attributeDropout), grayShare: Number(o.grayShare) });
  const px = batchToNchw({ data: data.images, shape: [B, cfg.resolution, cfg.resolution, 3] }, 'signed');
  const z = (await vaeEncoder.run({ sample: new ort.Tensor('float32', px.data, px.shape) })).latent_sample.data as Float32Array;
  const rng = new Rng(seed + 1, step);
  // Mid-noise timesteps (SNR ≈ 0.05–2 under the linear schedule) are where the outline is
  // decided; near t = 999 the loss is mostly the unknowable position and size, near 0 only
  // the fine grain. Drawing more of them spends the CPU budget where the prompt's shape is learned.
  const t = Array.from({ length: B }, () => (rng.int(1000) < settings.midTShare * 1000 ? MID_T[0] + rng.int(MID_T[1] - MID_T[0]) : rng.int(1000)));
  const noise = rng.normal(z.length);
  const { target, scale } = weightedVTargets(scheduler, z, noise, t, settings.lossGamma);
  const ids = new Int32Array(B * L);
  data.captions.forEach((c, i) => ids.set(tokenizer.encode(c), i * L));
  return {
    input_ids: new ort.Tensor('int32', ids, [B, L]),
    sample: new ort.Tensor('float32', scheduler.addNoise(z, noise, t), [B, lc, lh, lw]),
    timestep: new ort.Tensor('float32', Float32Array.from(t), [B]),
    target: new ort.Tensor('float32', target, [B, lc, lh, lw]),
    loss_scale: new ort.Tensor('float32', scale, [B, 1, 1, 1]),
  };
}

// Cosine decay over whichever runs out first, steps or the time budget, so a run cut short
// by its budget still ends at a low learning rate.
function lrScale(step: number, elapsedMs: number): number {
  if (step < settings.warmup) return (step + 1) / settings.warmup;
  const p = Math.max((step - settings.warmup) / Math.max(1, steps - settings.warmup), elapsedMs / budgetMs);
  return 0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, p)));
}

const began = Date.now();
const budgetMs = Number(o.minutes) * 60_000;
console.log(`training ${nParams.toLocaleString()} parameters, batch ${B}, ${steps} steps (budget ${o.minutes} min)`);
// Resumed runs rebuild the moving average from the stored per-step losses.
let ema = losses.length ? losses.reduce((e, l) => 0.98 * e + 0.02 * l) : NaN;
let step = start;
let stopped = false;
process.on('SIGINT', () => (stopped = true));
if (o.exportOnly) stopped = true;
for (; step < steps && !stopped; step++) {
  optimizer.lrScale = lrScale(step, Date.now() - began);
  const t0 = Date.now();
  const { loss } = await trainer.step(await batchFeeds(step));
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step}: stopping (last checkpoint kept)`);
  ema = Number.isNaN(ema) ? loss : 0.98 * ema + 0.02 * loss;
  losses.push(loss);
  updateEma(step);
  const elapsed = Date.now() - began;
  if ((step + 1) % 10 === 0) {
    const per = elapsed / (step + 1 - start);
    console.log(`step ${step + 1}/${steps}  loss ${loss.toFixed(4)}  ema ${ema.toFixed(4)}  ${(Date.now() - t0) / 1000}s/step  eta ${((per * (steps - step - 1)) / 60000).toFixed(1)} min`);
  }
  if ((step + 1) % Number(o.checkpointEvery) === 0) await checkpoint(step + 1);
  if (elapsed > budgetMs) {
    console.log(`time budget of ${o.minutes} min reached at step ${step + 1}`);
    step++;
    break;
  }
}
if (!o.exportOnly) await checkpoint(step);

// --- write the model: averaged weights into freshly built parts (same initializer names) ---
const trained = new Map(trainer.params.map((p, k) => [p.name, avgWeights[k]]));
const parts = buildEmbeddedParts(cfg, seed, vocab);
for (const part of [parts.unet, parts.text_encoder]) {
  for (const init of part.graph!.initializer!) {
    const data = trained.get(init.name!);
    if (data) init.rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
}
const out = resolve(o.out);
// The model folder is replaced whole; the hand-written training notes are carried over.
const notesFile = join(out, 'training', 'README.md');
const notes = existsSync(notesFile) ? readFileSync(notesFile) : null;
await writeEmbeddedModel(out, cfg, { seed, parts: { unet: parts.unet, text_encoder: parts.text_encoder }, info: { trainedSteps: step, finalLossEma: ema, runKey } });
mkdirSync(join(out, 'training'), { recursive: true });
if (notes) writeFileSync(notesFile, notes);
writeFileSync(join(out, 'training', 'config.json'), `${JSON.stringify({ ...settings, trainedSteps: step, parameters: nParams, ...(o.exportOnly ? {} : { minutes: (Date.now() - began) / 60000 }) }, null, 2)}\n`);
writeFileSync(join(out, 'training', 'loss.csv'), `step,loss\n${losses.map((l, i) => `${i + 1},${l}`).join('\n')}\n`);
const smooth: number[] = [];
let s = losses[0] ?? 0;
for (const l of losses) smooth.push((s = 0.95 * s + 0.05 * l));
writeFileSync(join(out, 'training', 'loss.png'), plotLinePng(smooth, { logY: true }));
console.log(`wrote ${out} after ${step} steps (loss ema ${ema.toFixed(4)})`);
await trainer.release();
