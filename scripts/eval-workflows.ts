// `npm run eval:workflows`: runs the example workflows (workflows/*.json) headless at their
// saved (full) settings on the embedded model and prints one table of what it measured:
//   personalisation — "sks heart" fidelity (heart rate with vs without the shifts, context
//     words obeyed) and drift (base prompts sampled with vs without the shifts);
//   CoSINE edit — share of cases where the edited colour changes to the target while the shape
//     mask keeps IoU ≥ 0.7 with the input (target ≥ 80 %), and DDIM inversion reconstruction PSNR;
//   combine — heart score per α and whether it is monotonic in α;
//   multi-subject — both concepts present, each in its half and not blended (target ≥ 60 %),
//     trained with and without Cut-Mix-Unmix.
// The figures depend on the base model's quality; the script reports what it measured.
// `--scale 0.25` runs every training at a quarter of its steps (a quick look, not the eval).
import { Command } from 'commander';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ApiPrompt, DeviceName } from '../nodes/define.ts';
import { loadRegistry } from '../server/engine/registry.ts';
import { createStorage } from '../server/storage.ts';
import { OutputCache } from '../server/engine/index.ts';
import { decodePng, encodePng } from '../server/image/index.ts';
import { classifyHalves, classifyImage, maskIoU, type Classification } from '../research/eval/index.ts';
import { backgroundsFor, COLORS, makeCaption, renderShape, Mulberry32, type BackgroundName, type ColorName } from '../research/datasets/index.ts';
import {
  alphaKey, combineShifts, COMBINE_ALPHAS, COSINE_EDIT, MULTI_PROMPT, MULTI_SUBJECT, nodeId, PERSONALIZE, SHIFT_FILES,
} from './lib/example-workflows.ts';
import { seedExampleInputs } from '../server/example-inputs.ts';
import { patchType, runPrompt, runWorkflow, type RunContext } from './lib/run-workflow.ts';

const o = new Command('eval-workflows')
  .option('--model <dir>', 'model folder', 'models/svdiff-shapes')
  .option('--device <d>', 'cpu | cuda | webgpu', 'cpu')
  .option('--samples <n>', 'samples per prompt / per α / per multi-subject run', '16')
  .option('--edit-cases <n>', 'single-image edit cases', '10')
  .option('--scale <x>', 'multiply every training\'s steps (1 = the workflows\' settings)', '1')
  .option('--only <list>', 'comma list of: personalize, combine, edit, multi', 'personalize,combine,edit,multi')
  .option('--save <dir>', 'copy every output image here')
  .option('--keep', 'keep the temporary data folder')
  .parse()
  .opts();

const modelDir = resolve(o.model);
if (!existsSync(join(modelDir, 'model_index.json'))) {
  console.error(`no model at ${modelDir}: run npm run train:base or pass --model`);
  process.exit(2);
}
const N = Number(o.samples);
const scale = Number(o.scale);
const only = new Set(String(o.only).split(','));
const root = mkdtempSync(join(tmpdir(), 'eval-workflows-'));
cpSync(modelDir, join(root, 'models', 'svdiff-shapes'), { recursive: true });
const storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
seedExampleInputs(storage.inputDir);
const ctx: RunContext = {
  registry: await loadRegistry(),
  storage,
  device: o.device as DeviceName,
  cache: new OutputCache(2 << 30),
  log: (l) => { if (/^(done|partial|class images)/.test(l)) console.error(`    ${l}`); },
};
const trainSteps = (n: number) => Math.max(1, Math.round(n * scale));
const trainWidgetsOf = (desc: typeof PERSONALIZE) => desc.nodes.find((n) => n.key === 'train')!.widgets!;
const stepsOf = (desc: typeof PERSONALIZE) => Number(trainWidgetsOf(desc).steps);

interface Row { area: string; metric: string; value: string; target?: string; pass?: boolean }
const rows: Row[] = [];
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);

function load(path: string): Float32Array {
  if (o.save) {
    mkdirSync(o.save, { recursive: true });
    cpSync(path, join(o.save, `${path.split('/').slice(-2).join('_')}`));
  }
  const img = decodePng(new Uint8Array(readFileSync(path)));
  return img.data;
}
const imagesOf = (images: Record<string, string[]>, id: string) => (images[id] ?? []).map(load);
const classify = (img: Float32Array) => classifyImage(img, 32, 32);
const heartScore = (c: Classification) => c.confidences.heart ?? 0;

function psnr(a: Float32Array, b: Float32Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** A small API prompt: LoadModel → [LoadShifts] → Sample → SaveImage; returns the images. */
async function sample(prompt: string, seed: number, shiftFile?: string, guidance = 7.5): Promise<Float32Array[]> {
  const p: ApiPrompt = {
    m: { class_type: 'LoadModel', inputs: { model_name: 'svdiff-shapes', device: 'default' } },
    s: { class_type: 'Sample', inputs: { model: ['m', 0], prompt, negative_prompt: '', steps: 25, guidance_scale: guidance, eta: 0, seed, width: 32, height: 32, batch_size: N } },
    o: { class_type: 'SaveImage', inputs: { images: ['s', 0], filename_prefix: 'eval/sample' } },
  };
  if (shiftFile) {
    p.l = { class_type: 'LoadShifts', inputs: { model: ['m', 0], shift_file: `${shiftFile}.safetensors` } };
    p.s.inputs.shifts = ['l', 0];
  }
  return imagesOf((await runPrompt(p, ctx)).images, 'o');
}

const t0 = performance.now();
const section = (s: string) => console.error(`\n▶ ${s} (${((performance.now() - t0) / 60000).toFixed(1)} min)`);

// ---- Personalisation (also makes the two shift files combine-shifts loads) ----
if (only.has('personalize') || only.has('combine')) {
  section('svdiff-personalize: heart');
  const steps = trainSteps(stepsOf(PERSONALIZE));
  const run = await runWorkflow('svdiff-personalize', PERSONALIZE, { train: { steps }, sample_bg: { batch_size: N }, sample_pos: { batch_size: N } }, ctx);
  const bg = imagesOf(run.images, nodeId(PERSONALIZE, 'save_bg')).map(classify);
  const pos = imagesOf(run.images, nodeId(PERSONALIZE, 'save_pos')).map(classify);
  section('svdiff-personalize: moon (second shift file for combine-shifts)');
  await runWorkflow('svdiff-personalize', PERSONALIZE, {
    images: { folder: 'moon' }, train: { steps, instance_prompt: 'a sks moon', class_prompt: 'a moon' }, save_shifts: { filename_prefix: SHIFT_FILES.moon },
    sample_bg: { batch_size: 1 }, sample_pos: { batch_size: 1 },
  }, ctx);
  if (only.has('personalize')) {
    section('personalisation: fidelity and drift');
    const withShifts = (await sample('a sks heart', 21, SHIFT_FILES.heart)).map(classify);
    const without = (await sample('a sks heart', 21)).map(classify);
    const isHeart = (c: Classification) => c.shape === 'heart';
    const all = [...withShifts, ...bg, ...pos];
    rows.push(
      { area: 'personalise', metric: `"a sks heart": heart rate with shifts (${steps} steps)`, value: pct(mean(withShifts.map((c) => +isHeart(c)))) },
      { area: 'personalise', metric: '"a sks heart": heart rate, base model (no shifts)', value: pct(mean(without.map((c) => +isHeart(c)))) },
      { area: 'personalise', metric: 'fidelity: heart rate over all sks samples (3 prompts)', value: pct(mean(all.map((c) => +isHeart(c)))) },
      { area: 'personalise', metric: 'mean heart confidence (classifier softmax)', value: mean(all.map(heartScore)).toFixed(2) },
      { area: 'personalise', metric: 'context obeyed: "on a blue background" / "small … on the left"', value: `${pct(mean(bg.map((c) => +(c.background === 'blue'))))} / ${pct(mean(pos.map((c) => +(c.position === 'left' && c.size === 'small'))))}` },
    );
    // Drift: base prompts with and without the heart shifts, same seeds.
    const basePrompts = ['a green square', 'a blue star on a yellow background', 'a small red circle on the right', 'a purple triangle'];
    let same = 0;
    let total = 0;
    const ps: number[] = [];
    for (const [i, bp] of basePrompts.entries()) {
      const a = await sample(bp, 100 + i);
      const b = await sample(bp, 100 + i, SHIFT_FILES.heart);
      a.forEach((img, k) => {
        const ca = classify(img);
        const cb = classify(b[k]);
        total++;
        if (ca.shape === cb.shape && ca.color === cb.color && ca.background === cb.background) same++;
        ps.push(psnr(img, b[k]));
      });
    }
    rows.push(
      { area: 'personalise', metric: `drift: base prompts keep shape+colour+bg with shifts (${total} pairs)`, value: pct(same / total) },
      { area: 'personalise', metric: 'drift: PSNR base vs shifted sample, same seed (dB)', value: mean(ps.filter(Number.isFinite)).toFixed(1) },
    );
  }
}

// ---- Combine: heart score monotonic in α ----
if (only.has('combine')) {
  section('combine-shifts');
  const desc = combineShifts();
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const a of COMBINE_ALPHAS) overrides[`sample_${alphaKey(a)}`] = { batch_size: N };
  // The file may hold an ImageBatch → grid variant; sample nodes keep their keys either way.
  const run = await runWorkflow('combine-shifts', desc, overrides, ctx, (p) => {
    // Save each α on its own so it can be scored, whatever the file's saving nodes are.
    const q = structuredClone(p);
    for (const a of COMBINE_ALPHAS) q[`eval_${alphaKey(a)}`] = { class_type: 'SaveImage', inputs: { images: [nodeId(desc, `sample_${alphaKey(a)}`), 0], filename_prefix: `eval/alpha_${alphaKey(a)}` } };
    return q;
  });
  const scores = COMBINE_ALPHAS.map((a) => mean(imagesOf(run.images, `eval_${alphaKey(a)}`).map((img) => heartScore(classify(img)))));
  const rates = COMBINE_ALPHAS.map((a) => mean(imagesOf(run.images, `eval_${alphaKey(a)}`).map((img) => +(classify(img).shape === 'heart'))));
  // Non-decreasing up to float noise in the classifier's softmax.
  const monotone = scores.every((s, i) => i === 0 || s >= scores[i - 1] - 1e-3);
  rows.push(
    { area: 'combine', metric: `heart score at α = ${COMBINE_ALPHAS.join(', ')} (α·heart + (1−α)·moon)`, value: scores.map((s) => s.toFixed(3)).join(' ') },
    { area: 'combine', metric: 'heart score range: α = 1 minus α = 0', value: (scores.at(-1)! - scores[0]).toFixed(3) },
    { area: 'combine', metric: 'heart rate per α', value: rates.map(pct).join(' ') },
    { area: 'combine', metric: 'heart score monotonic (non-decreasing) in α', value: monotone ? 'yes' : 'no', target: 'yes', pass: monotone },
  );
}

// ---- CoSINE edit + DDIM inversion reconstruction ----
if (only.has('edit')) {
  const rng = new Mulberry32(59);
  const shapes = ['circle', 'square', 'triangle', 'star', 'diamond', 'cross'] as const;
  const steps = trainSteps(stepsOf(COSINE_EDIT));
  let ok = 0;
  let changed = 0;
  const ious: number[] = [];
  const psnrShift: number[] = [];
  const cases = Number(o.editCases);
  let firstCase: { base: { image: { image: string }; train: Record<string, unknown>; invert: Record<string, unknown> }; srcPrompt: string; input: Float32Array } | undefined;
  for (let i = 0; i < cases; i++) {
    const shape = shapes[i % shapes.length];
    const src = COLORS[rng.int(8)] as ColorName;
    const tgts = COLORS.filter((c) => c !== src && c !== 'white' && c !== 'black');
    const tgt = tgts[rng.int(tgts.length)] as ColorName;
    const bgs = backgroundsFor(src).filter((b) => backgroundsFor(tgt).includes(b));
    const bg = (bgs.length ? bgs[rng.int(bgs.length)] : 'gray') as BackgroundName;
    const name = `edit-case-${i}.png`;
    const picture = { shape, color: src, background: bg, size: 'large', position: 'center' } as const;
    const input = renderShape(picture, 32);
    writeFileSync(join(storage.inputDir, name), encodePng(input, 32, 32));
    // Single-image mode describes the picture as the training captions would: size and place too
    // (without them the model tends to redraw the shape small; 40 % success in that form).
    const srcPrompt = makeCaption(picture);
    const tgtPrompt = makeCaption({ ...picture, color: tgt });
    section(`cosine-edit case ${i + 1}/${cases}: ${srcPrompt} → ${tgt}`);
    const base = { image: { image: name }, train: { steps, instance_prompt: srcPrompt }, invert: { prompt: srcPrompt } };
    firstCase ??= { base, srcPrompt, input };
    const edit = await runWorkflow('cosine-edit', COSINE_EDIT, { ...base, sample: { prompt: tgtPrompt } }, ctx);
    const out = classify(imagesOf(edit.images, nodeId(COSINE_EDIT, 'save'))[0]);
    const inC = classify(input);
    const iou = maskIoU(out.mask, inC.mask);
    ious.push(iou);
    if (out.color === tgt) changed++;
    if (out.color === tgt && iou >= 0.7) ok++;
    console.error(`    edited colour ${out.color} (target ${tgt}), mask IoU ${iou.toFixed(2)}`);
    // Reconstruction: same prompt, no slerp, guidance 1 (what the inversion assumes).
    const rec = await runWorkflow('cosine-edit', COSINE_EDIT, { ...base, slerp: { alpha: 0 }, sample: { prompt: srcPrompt, guidance_scale: 1 } }, ctx);
    psnrShift.push(psnr(imagesOf(rec.images, nodeId(COSINE_EDIT, 'save'))[0], input));
  }
  // Reference: the same reconstruction of case 1 with the shifts off (scale 0); training is cached.
  let noShiftPsnr: number | undefined;
  if (firstCase) {
    const rec = await runWorkflow('cosine-edit', COSINE_EDIT, {
      ...firstCase.base, invert: { ...firstCase.base.invert, shift_scale: 0 }, slerp: { alpha: 0 }, sample: { prompt: firstCase.srcPrompt, guidance_scale: 1, shift_scale: 0 },
    }, ctx);
    noShiftPsnr = psnr(imagesOf(rec.images, nodeId(COSINE_EDIT, 'save'))[0], firstCase.input);
  }
  const rate = ok / cases;
  rows.push(
    { area: 'edit', metric: `edit success: colour → target and mask IoU ≥ 0.7 (${cases} cases, ${steps} train steps)`, value: pct(rate), target: '≥ 80 %', pass: rate >= 0.8 },
    { area: 'edit', metric: 'colour changed to target / mean mask IoU', value: `${pct(changed / cases)} / ${mean(ious).toFixed(2)}` },
    { area: 'edit', metric: 'DDIM inversion reconstruction PSNR, with single-image shifts (dB)', value: `${mean(psnrShift).toFixed(1)} (min ${Math.min(...psnrShift).toFixed(1)})` },
  );
  if (noShiftPsnr !== undefined) rows.push({ area: 'edit', metric: 'DDIM inversion reconstruction PSNR, case 1 with shift scale 0 (dB)', value: noShiftPsnr.toFixed(1) });
}

// ---- Multi-subject: with and without Cut-Mix-Unmix ----
if (only.has('multi')) {
  const steps = trainSteps(stepsOf(MULTI_SUBJECT));
  const score = (imgs: Float32Array[]) => {
    let both = 0;
    for (const img of imgs) {
      const { left, right } = classifyHalves(img, 32, 32);
      // Present and not blended: each half shows its own concept in its own colour, confidently.
      if (left.shape === 'heart' && right.shape === 'moon' && left.certain && right.certain && left.color === 'red' && right.color === 'yellow') both++;
    }
    return both / imgs.length;
  };
  const result: Record<string, number> = {};
  const trainWidgets = trainWidgetsOf(MULTI_SUBJECT);
  for (const [label, mix, unmix] of [['with Cut-Mix-Unmix', Number(trainWidgets.mix_probability), Number(trainWidgets.unmix_weight)], ['without (mix 0, unmix 0)', 0, 0]] as const) {
    section(`multi-subject ${label}`);
    const run = await runWorkflow('multi-subject', MULTI_SUBJECT, {
      train: { steps, mix_probability: mix, unmix_weight: unmix }, sample: { batch_size: N }, save_shifts: { filename_prefix: `${SHIFT_FILES.multi}-${mix}` },
    }, ctx);
    result[label] = score(imagesOf(run.images, nodeId(MULTI_SUBJECT, 'save')));
  }
  const withR = result['with Cut-Mix-Unmix'];
  rows.push(
    { area: 'multi', metric: `"${MULTI_PROMPT}": both present, not blended — with Cut-Mix-Unmix (${steps} steps)`, value: pct(withR), target: '≥ 60 %', pass: withR >= 0.6 },
    { area: 'multi', metric: 'same, trained without Cut-Mix-Unmix', value: pct(result['without (mix 0, unmix 0)']) },
  );
}

// ---- The table ----
const minutes = (performance.now() - t0) / 60000;
const w = [Math.max(...rows.map((r) => r.area.length), 4), Math.max(...rows.map((r) => r.metric.length), 6), Math.max(...rows.map((r) => r.value.length), 5)];
const line = (a: string, b: string, c: string, d: string) => `| ${a.padEnd(w[0])} | ${b.padEnd(w[1])} | ${c.padEnd(w[2])} | ${d} |`;
console.log(`\neval:workflows — model ${basename(modelDir)}, device ${o.device}, ${N} samples per set, training scale ${scale}, ${minutes.toFixed(1)} min`);
console.log(line('area', 'metric', 'value', 'target'));
console.log(`|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|--------|`);
for (const r of rows) console.log(line(r.area, r.metric, r.value, r.target ? `${r.target} ${r.pass ? '✓' : '✗'}` : ''));
if (!o.keep) rmSync(root, { recursive: true, force: true });
else console.log(`data folder kept: ${root}`);
