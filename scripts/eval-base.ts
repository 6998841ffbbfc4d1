// `npm run eval:base`: how well the embedded model draws what it is asked. Fixed seeds, N images
// per prompt over a grid of colours × base shapes at 20 DDIM steps, each scored by the
// procedural classifier (research/eval/), which is first validated on dataset images. Prints colour
// and shape accuracy and writes a contact sheet (one row per colour, one column per shape).
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LoadedModel, decodeLatent, sampleLatents } from '../server/diffusion/index.ts';
import { BASE_SHAPES, COLORS } from '../research/datasets/index.ts';
import { classifyImage, formatReport, validateClassifier } from '../research/eval/index.ts';
import { encodePng, gridImage, resizeBatch } from '../server/image/index.ts';
import type { ImageBatch } from '../nodes/define.ts';

const o = new Command('eval-base')
  .option('--model <dir>', 'model folder', 'models/svdiff-shapes')
  .option('--steps <n>', 'DDIM steps', '20')
  .option('--guidance <x>', 'classifier-free guidance scale', '5')
  .option('--per-prompt <n>', 'images per prompt', '1')
  .option('--seed <n>', 'first seed', '1000')
  // The default names every attribute, as most training captions do; shorter forms are scored
  // with --prompt (the README's table lists them).
  .option('--prompt <template>', 'prompt per grid cell; {color} and {shape} are filled in (e.g. "a {color} {shape}")', 'a large {color} {shape} in the center on a gray background')
  .option('--sheet <file>', 'contact sheet PNG', 'docs/eval-base.png')
  .option('--skip-validation', 'do not re-validate the classifier first')
  .parse()
  .opts();

if (!o.skipValidation) {
  console.log('classifier on dataset images (base + held-out shapes, 32×32):');
  console.log(formatReport(validateClassifier({ count: 400, seed: 7 })));
  console.log('classifier on noisy dataset images (blur σ 0.5 px, noise σ 0.05):');
  console.log(formatReport(validateClassifier({ count: 400, seed: 8, blurSigma: 0.5, noiseSigma: 0.05 })));
}

const template = String(o.prompt);
if (!template.includes('{color}') || !template.includes('{shape}')) {
  console.error(`eval-base: --prompt must contain {color} and {shape}, got "${template}"`);
  process.exit(2);
}
const model = await LoadedModel.load(resolve(o.model));
const steps = Number(o.steps);
const guidance = Number(o.guidance);
const n = Number(o.perPrompt);
const res = 32;
const began = Date.now();
const frames: ImageBatch[] = [];
let colourOk = 0;
let shapeOk = 0;
let total = 0;
const misses = new Map<string, number>();
let seed = Number(o.seed);
for (const color of COLORS) {
  for (const shape of BASE_SHAPES) {
    const prompt = template.replaceAll('{color}', color).replaceAll('{shape}', shape);
    const latent = await sampleLatents(model, { prompt, steps, guidance, seed: seed++, width: res, height: res, batch: n });
    const images = await decodeLatent(model, latent);
    frames.push(images);
    const px = res * res * 3;
    for (let i = 0; i < n; i++) {
      const c = classifyImage(images.data.subarray(i * px, (i + 1) * px), res, res, { shapes: BASE_SHAPES });
      total++;
      if (c.color === color) colourOk++;
      if (c.shape === shape) shapeOk++;
      else misses.set(`${shape}→${c.shape}`, (misses.get(`${shape}→${c.shape}`) ?? 0) + 1);
    }
  }
  process.stdout.write(`  ${color} done (${((Date.now() - began) / 1000).toFixed(0)} s)\n`);
}

// Contact sheet: rows = colours, columns = shapes (× images per prompt), 4× nearest upscale.
const data = new Float32Array(frames.reduce((s, f) => s + f.data.length, 0));
let off = 0;
for (const f of frames) {
  data.set(f.data, off);
  off += f.data.length;
}
const all: ImageBatch = { data, shape: [total, res, res, 3] };
const sheet = gridImage(resizeBatch(all, res * 4, res * 4, 'nearest'), BASE_SHAPES.length * n, { padding: 2 });
mkdirSync(dirname(resolve(o.sheet)), { recursive: true });
writeFileSync(o.sheet, encodePng(sheet.data, sheet.shape[2], sheet.shape[1]));

const pct = (k: number) => `${((100 * k) / total).toFixed(1)} %`;
console.log(`\nembedded model ${model.name} (${model.contentHash.slice(0, 12)}): ${total} samples of "${template}", ${steps} DDIM steps, guidance ${guidance}, seeds ${o.seed}…${seed - 1}`);
console.log(`colour accuracy ${pct(colourOk)} (${colourOk}/${total})   target ≥ 90 %`);
console.log(`shape accuracy  ${pct(shapeOk)} (${shapeOk}/${total})   target ≥ 80 %`);
console.log(`most frequent shape confusions: ${[...misses].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`);
console.log(`contact sheet: ${o.sheet} (rows: ${COLORS.join(', ')}; columns: ${BASE_SHAPES.join(', ')})`);
console.log(`took ${((Date.now() - began) / 1000).toFixed(0)} s`);
