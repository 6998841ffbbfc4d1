// `npm run eval:personalize`: personalisation on the embedded model and its held-out concept.
// Trains spectral shifts ("a sks heart", 4 images, prior preservation on "a heart" and on 32
// base-world captions, regressed onto the base model's prediction; UNet + text encoder,
// lr 1e-2, batch 4) and, with the same recipe, a full-weight fine-tune of the UNet; then
// samples 32 images of "a sks heart" and 32 of base prompts before/after, classifies them,
// and prints both rows side by side: fidelity, language drift, parameters trained, file size;
// plus the shift training step time against a forward pass on the same batch.
import { Command } from 'commander';
import { mkdtempSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createStorage } from '../server/storage.ts';
import { LoadedModel, Rng, sampleLatents, decodeLatent, type PartOverride } from '../server/diffusion/index.ts';
import { backgroundsFor, BASE_SHAPES, COLORS, CONCEPT_DEFAULTS, conceptImages, makeCaption, preservationPrompts, type ShapeName } from '../research/datasets/index.ts';
import { classifyImage } from '../research/eval/index.ts';
import { batchFrames, encodePng, gridImage, stackImages, type RgbImage } from '../server/image/index.ts';
import { decomposeModel, DEFAULT_SELECTION, PARTS_OPTIONS, partsFromOption, encodeShiftFile, type PartsOption, shiftOverrides, type SpectralShifts } from '../server/spectral/index.ts';
import { runTraining, ShiftTrainer, validateTraining, type TrainRequest } from '../server/diffusion/training/index.ts';
import { trainFullWeights } from '../research/baselines/index.ts';

const o = new Command('eval-personalize')
  .option('--model <dir>', 'model folder', 'models/svdiff-shapes')
  .option('--concept <shape>', 'held-out concept', 'heart')
  .option('--images <n>', 'instance images', '4')
  .option('--steps <n>', 'training steps (≤ 400)', '400')
  .option('--lr <x>', 'learning rate of matrix shifts', '1e-2')
  .option('--te-lr <x>', "learning rate of the text encoder's matrix shifts (default: --lr)")
  .option('--preserve <n>', 'preservation prompts: n captions of the base world (not the drift prompts) in the prior batch', '32')
  .option('--full-lr <x>', 'learning rate of the full-weight fine-tune', '5e-5')
  .option('--weight-decay <x>', 'AdamW weight decay (decoupled: pulls δ towards 0 by lr × this per step)', '0.01')
  .option('--prior <x>', 'λ, prior-preservation weight', '1')
  .option('--prior-target <t>', "prior items' target: noise (DreamBooth) | base_prediction (the base model's prediction: a direct drift penalty)", 'base_prediction')
  .option('--class-images <n>', 'class images', '16')
  .option('--batch <n>', 'batch size', '4')
  .option('--samples <n>', 'samples per prompt set', '32')
  .option('--sample-steps <n>', 'DDIM steps per sample', '25')
  .option('--guidance <x>', 'classifier-free guidance', '5')
  .option('--seed <n>', 'seed', '0')
  .option('--parts <which>', 'spectral shifts of: unet | unet+text_encoder', 'unet+text_encoder')
  .option('--base-form <form>', 'base prompts for drift: long ("a large red circle in the center on a gray background", the form the model was trained on most) | short ("a red circle")', 'long')
  .option('--layers <filter>', "SVD Decompose's name filter: only matching layers get shifts (e.g. 'attn2|text_model')", '')
  .option('--by-part', 'also score the shifts of each part alone (where fidelity and drift come from)')
  .option('--skip-full', 'skip the full-weight fine-tune row')
  .option('--save <dir>', 'write sample grids (PNG) here')
  .parse()
  .opts();

const modelDir = resolve(o.model);
if (!existsSync(join(modelDir, 'model_index.json'))) {
  console.error(`no model at ${modelDir}: train the embedded model first (npm run train:base) or pass --model`);
  process.exit(2);
}
const concept = String(o.concept);
const parts = String(o.parts) as PartsOption;
if (o.baseForm !== 'long' && o.baseForm !== 'short') {
  console.error(`--base-form must be long or short, got ${o.baseForm}`);
  process.exit(2);
}
if (!(PARTS_OPTIONS as readonly string[]).includes(parts)) {
  console.error(`--parts must be one of ${PARTS_OPTIONS.join(', ')}, got ${parts}`);
  process.exit(2);
}
const seed = Number(o.seed);
const nSamples = Number(o.samples);
const root = mkdtempSync(join(tmpdir(), 'eval-personalize-'));
const storage = createStorage({ dataDir: join(root, 'data') });
const model = await LoadedModel.load(modelDir);
const res = model.config.vae?.sample_size as number;
const classify = (im: RgbImage) => classifyImage(im.data, im.width, im.height);
console.log(`model ${model.name} (${model.contentHash.slice(0, 12)}), ${res}×${res}; classifier: research/eval classifyImage`);

// Instance images: the held-out concept as a user would bring it (one colour, varied poses).
const concepts = conceptImages(concept as ShapeName, Number(o.images), seed, { resolution: res });
const instance: RgbImage[] = concepts.map((c) => ({ width: res, height: res, data: c.image }));
console.log(`instance images: ${instance.length} × "${concepts[0].caption}" (class prompt "${concepts[0].classCaption}")`);

// Base prompts for language drift: a base shape in a colour, on a contrasting default background.
const baseRng = new Rng(seed, 78);
const basePrompts = Array.from({ length: nSamples }, () => {
  const shape = BASE_SHAPES[baseRng.int(BASE_SHAPES.length)];
  let color = COLORS[baseRng.int(COLORS.length)];
  while (!backgroundsFor(color).includes('gray')) color = COLORS[baseRng.int(COLORS.length)];
  const prompt = o.baseForm === 'short' ? `a ${color} ${shape}` : makeCaption({ shape, color, size: 'large', position: 'center', background: 'gray' });
  return { prompt, shape };
});

async function samples(prompts: string[], overrides?: readonly PartOverride[]): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const z = await sampleLatents(model, { prompt: prompts[i], negativePrompt: '', steps: Number(o.sampleSteps), guidance: Number(o.guidance), seed: 1000 + i, width: res, height: res, batch: 1, overrides });
    out.push(...batchFrames(await decodeLatent(model, z, { overrides })));
  }
  return out;
}
function saveGrid(name: string, images: RgbImage[]): void {
  if (!o.save) return;
  mkdirSync(o.save, { recursive: true });
  const g = gridImage(stackImages(images), 8, { padding: 1 });
  writeFileSync(join(o.save, `${name}.png`), encodePng(g.data, g.shape[2], g.shape[1]));
}
async function score(overrides?: readonly PartOverride[], name = 'base'): Promise<{ fidelity: number; certain: number; base: number }> {
  const sks = await samples(Array.from({ length: nSamples }, () => concepts[0].caption), overrides);
  const base = await samples(basePrompts.map((p) => p.prompt), overrides);
  saveGrid(`${name}-instance-prompt`, sks);
  saveGrid(`${name}-base-prompts`, base);
  const sksFits = sks.map(classify).filter((c) => c.shape === concept);
  const fidelity = sksFits.length / nSamples;
  // The classifier always names its best template, so a blob can come out "heart": the share
  // it is also sure of (IoU ≥ 0.6, clear of the runner-up) is printed beside it.
  const certain = sksFits.filter((c) => c.certain).length / nSamples;
  const baseAcc = base.filter((im, i) => classify(im).shape === basePrompts[i].shape).length / nSamples;
  return { fidelity, certain, base: baseAcc };
}

const t0 = performance.now();
const before = await score(undefined, 'before');
console.log(`before training: "${concepts[0].caption}" recognised ${pct(before.fidelity)} (certain ${pct(before.certain)}), base-prompt accuracy ${pct(before.base)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const { svd } = await decomposeModel(model, { ...DEFAULT_SELECTION, parts: partsFromOption(parts), nameFilter: String(o.layers) }, { cacheDir: storage.cacheDir });
const request: TrainRequest = {
  subjects: [{ images: { data: concat(instance), shape: [instance.length, res, res, 3] }, prompt: concepts[0].caption, classPrompt: concepts[0].classCaption, identifier: CONCEPT_DEFAULTS[concept]?.identifier ?? 'sks', suffix: '' }],
  preservePrompts: preservationPrompts(Number(o.preserve), seed + 79),
  priorTarget: String(o.priorTarget),
  priorWeight: Number(o.prior), numClassImages: Number(o.classImages), steps: Math.min(400, Number(o.steps)), batchSize: Number(o.batch),
  lr: Number(o.lr), lr1d: 1e-6, lrTextEncoder: Number(o.teLr ?? o.lr), weightDecay: Number(o.weightDecay), maxGradNorm: 1, seed, resolution: res, randomCrop: false, randomFlip: true,
  parts, mixProbability: 0.6, unmixWeight: 0, checkpointEvery: 0,
};
const losses: number[] = [];
const instanceLosses: number[] = [];
const priorLosses: number[] = [];
const tTrain = performance.now();
const run = await runTraining({ model, svd, request, storage, log: (m) => console.log(`  ${m}`), onStep: (r) => {
  losses.push(r.loss);
  instanceLosses.push(r.terms.instance);
  priorLosses.push(r.terms.prior);
  if (r.step % 50 === 0) console.log(`  step ${r.step}/${r.steps} loss ${avg(losses.slice(-50)).toFixed(4)} (instance ${avg(instanceLosses.slice(-50)).toFixed(4)}, prior ${avg(priorLosses.slice(-50)).toFixed(4)}; ${r.ms.toFixed(0)} ms)`);
} });
const trainS = (performance.now() - tTrain) / 1000;
const shifts: SpectralShifts = run.shifts;
const shiftFileBytes = encodeShiftFile(shifts).byteLength;
const shiftOv = (await shiftOverrides(model, svd, shifts)).filter((p) => p.overrides.size > 0).map((p) => ({ part: p.part, overrides: p.overrides, key: p.key }));
const after = await score(shiftOv, 'shifts');
// Where the drift comes from: the same shifts applied to one part at a time.
const byPart: { part: string; s: Awaited<ReturnType<typeof score>> }[] = [];
if (o.byPart && shiftOv.length > 1) {
  for (const p of shiftOv) byPart.push({ part: p.part, s: await score([p], `shifts-${p.part}`) });
}
saveGrid('instance', instance);

// Step time against a forward pass of the plain UNet on the same batch.
const timing = await stepVersusForward();

let full: { fidelity: number; certain: number; base: number; params: number; bytes: number; trainS: number } | undefined;
if (!o.skipFull) {
  // Full fine-tuning covers the UNet's weights (the text encoder stays frozen), whatever --parts says.
  const settings = validateTraining({ ...request, parts: 'unet', lr: Number(o.fullLr) }, model.sizeMultiple).settings;
  const tf = performance.now();
  const r = await trainFullWeights({ model, settings, classImages: run.classImages, preserve: run.preserve, onStep: (s) => { if (s.step % 50 === 0) console.log(`  full FT step ${s.step}/${s.steps} loss ${s.loss.toFixed(4)}`); } });
  const fullS = (performance.now() - tf) / 1000;
  const ov: PartOverride[] = [{ part: 'unet', overrides: r.deltas, key: 'full-ft' }];
  const sc = await score(ov, 'full');
  const bytes = [...r.deltas.values()].reduce((a, d) => a + d.byteLength, 0);
  full = { ...sc, params: r.trainedParameters, bytes, trainS: fullS };
}

console.log('');
console.log(`loss (mean of 20 steps): start ${avg(losses.slice(0, 20)).toFixed(4)} → end ${avg(losses.slice(-20)).toFixed(4)}; ${losses.length} steps in ${trainS.toFixed(0)} s`);
console.log(`step time ${timing.stepMs.toFixed(1)} ms vs ${parts === 'unet' ? 'UNet' : 'text encoder + UNet'} forward ${timing.forwardMs.toFixed(1)} ms on the same batch of ${timing.batch} (${(timing.stepMs / timing.forwardMs).toFixed(2)}×)`);
console.log(`base-prompt accuracy before training: ${pct(before.base)}; "${concepts[0].caption}" before: ${pct(before.fidelity)}`);
const rows = [
  ['method', 'fidelity', 'certain', 'base acc', 'drift (after/before)', 'params trained', 'file size', 'train s'],
  ['spectral shifts', pct(after.fidelity), pct(after.certain), pct(after.base), ratio(after.base, before.base), String(run.result.trainedParameters), kib(shiftFileBytes), trainS.toFixed(0)],
  ...byPart.map(({ part, s }) => [`  ${part} shifts alone`, pct(s.fidelity), pct(s.certain), pct(s.base), ratio(s.base, before.base), '', '', '']),
  ...(full ? [['full weights (UNet)', pct(full.fidelity), pct(full.certain), pct(full.base), ratio(full.base, before.base), String(full.params), kib(full.bytes), full.trainS.toFixed(0)]] : []),
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c])).join('  '));
const ok = after.fidelity >= 0.7 && after.base >= 0.9 * before.base;
console.log(`targets: fidelity ≥ 70 % ${after.fidelity >= 0.7 ? 'met' : 'NOT met'}; base accuracy ≥ 90 % of before ${after.base >= 0.9 * before.base ? 'met' : 'NOT met'}`);
rmSync(root, { recursive: true, force: true });
process.exit(ok ? 0 : 1);

async function stepVersusForward(): Promise<{ stepMs: number; forwardMs: number; batch: number }> {
  const t = await ShiftTrainer.create({ model, svd, settings: run.settings, classImages: run.classImages, preserve: run.preserve });
  try {
    const { feeds } = await t.feeds(0);
    const g = t.graph;
    const unet = await model.session('unet');
    const io = model.io.unet.inputNames;
    // When the text encoder is trained too, the graph is fed token ids: the forward it is
    // compared with then runs the text encoder as well.
    const textEncoder = g.text.dims.length === 2 ? await model.session('text_encoder') : null;
    const forward = async () => {
      const text = textEncoder
        ? (await textEncoder.run({ [model.io.text_encoder.inputNames[0]]: feeds[g.text.name] }))[model.io.text_encoder.outputNames[0]]
        : feeds[g.text.name];
      return unet.run({ [io[0]]: feeds[g.sample], [io[1]]: feeds[g.timestep.name], [io[2]]: text });
    };
    // Alternate the two so both see the same machine load; medians of 10 pairs.
    const reps = 10;
    await forward();
    await t.evaluate(0);
    const fwd: number[] = [];
    const stp: number[] = [];
    for (let i = 0; i < reps; i++) {
      let s = performance.now();
      await forward();
      fwd.push(performance.now() - s);
      s = performance.now(); // a step's work (batch drawing and VAE encode included), without the update
      await t.outputs(i, ['train/loss', ...t.params.map((p) => `grad/${p.name}`)]);
      stp.push(performance.now() - s);
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const forwardMs = median(fwd);
    const stepMs = median(stp);
    return { stepMs, forwardMs, batch: feeds[g.sample].dims[0] };
  } finally {
    await t.release();
  }
}
function concat(images: RgbImage[]): Float32Array {
  const out = new Float32Array(images.reduce((a, i) => a + i.data.length, 0));
  let p = 0;
  for (const i of images) { out.set(i.data, p); p += i.data.length; }
  return out;
}
function avg(v: number[]): number { return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN; }
function pct(x: number): string { return `${(x * 100).toFixed(1)} %`; }
function ratio(a: number, b: number): string { return b > 0 ? `${((a / b) * 100).toFixed(0)} %` : 'n/a'; }
function kib(b: number): string { return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`; }
