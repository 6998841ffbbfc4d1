// Denoising speed of the embedded model on CPU and the pipeline's overhead against calling
// session.run directly with the same inputs (target ≤ 5 %). Uses models/svdiff-shapes when
// present, else a randomly initialised EMBEDDED_CONFIG model in a temp folder (same cost).
// Run alone: npx tsx bench/pipeline.ts
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EMBEDDED_CONFIG, writeEmbeddedModel } from '../research/embedded-model/index.ts';
import { encodeText, LoadedModel, previewPng, randn, sampleLatents, wantsPreview, type StepInfo } from '../server/diffusion/index.ts';
import { ort } from '../server/onnx/index.ts';
import { median } from './stats.ts';

const STEPS = 50;
const ROUNDS = 7;

async function openModel(): Promise<{ model: LoadedModel; cleanup: () => void; source: string }> {
  const shipped = join(import.meta.dirname, '..', 'models', 'svdiff-shapes');
  if (existsSync(join(shipped, 'model_index.json'))) return { model: await LoadedModel.load(shipped), cleanup: () => {}, source: 'models/svdiff-shapes' };
  const root = mkdtempSync(join(tmpdir(), 'svdiff-bench-'));
  await writeEmbeddedModel(join(root, 'svdiff-shapes'), EMBEDDED_CONFIG, { seed: 0 });
  return { model: await LoadedModel.load(join(root, 'svdiff-shapes')), cleanup: () => rmSync(root, { recursive: true, force: true }), source: 'EMBEDDED_CONFIG, random weights (models/svdiff-shapes absent)' };
}

/** STEPS UNet runs on exactly the feeds the pipeline builds at its first step. */
async function direct(model: LoadedModel, guidance: number, shape: number[]): Promise<number> {
  const cfg = guidance !== 1;
  const text = await encodeText(model, cfg ? ['', 'a red circle'] : ['a red circle']);
  const session = await model.session('unet');
  const rows = cfg ? 2 : 1;
  const x = randn(0, [rows, ...shape.slice(1)]);
  const feeds = {
    sample: new ort.Tensor('float32', x, [rows, ...shape.slice(1)]),
    timestep: new ort.Tensor('float32', new Float32Array(rows).fill(981), [rows]),
    encoder_hidden_states: new ort.Tensor('float32', text.data, text.dims),
  };
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) await session.run(feeds);
  return performance.now() - t0;
}

/** Milliseconds the UNet session spent inside run() (the rest of a pipeline call is its overhead). */
let unetMs = 0;
async function timeUnetRuns(model: LoadedModel): Promise<void> {
  const session = await model.session('unet');
  const run = session.run.bind(session) as (...a: unknown[]) => Promise<unknown>;
  (session as unknown as { run: typeof run }).run = async (...a: unknown[]) => {
    const t0 = performance.now();
    try {
      return await run(...a);
    } finally {
      unetMs += performance.now() - t0;
    }
  };
}

async function pipeline(model: LoadedModel, guidance: number, res: number, previews: boolean): Promise<number> {
  const onStep = previews ? async (s: StepInfo) => { if (wantsPreview(s.step, s.total)) await previewPng(model, s.x0); } : undefined;
  const t0 = performance.now();
  await sampleLatents(model, { prompt: 'a red circle', steps: STEPS, guidance, seed: 0, width: res, height: res, onStep });
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  const { model, cleanup, source } = await openModel();
  try {
    const res = EMBEDDED_CONFIG.resolution;
    const shape = [1, model.latentChannels, res / model.downscale, res / model.downscale];
    console.log(`model: ${source}; ${res}×${res} px, latent [${shape.join(', ')}], ${STEPS} DDIM steps, CPU, median of ${ROUNDS} rounds`);
    await timeUnetRuns(model);
    for (const guidance of [7.5, 1]) {
      await pipeline(model, guidance, res, false); // warm-up: sessions open, arenas sized
      await direct(model, guidance, shape);
      // Paired rounds (direct, then pipeline): the ratio of each pair cancels drift from other load.
      const d: number[] = [];
      const p: number[] = [];
      const ratio: number[] = [];
      const outside: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        d.push(await direct(model, guidance, shape));
        unetMs = 0;
        p.push(await pipeline(model, guidance, res, false));
        outside.push((p[r] - unetMs) / unetMs);
        ratio.push(p[r] / d[r]);
      }
      const pv: number[] = [];
      for (let r = 0; r < 3; r++) pv.push(await pipeline(model, guidance, res, true));
      const withPreviews = median(pv);
      const dm = median(d);
      const pm = median(p);
      const overhead = (median(ratio) - 1) * 100;
      const label = guidance === 1 ? 'guidance 1 (one UNet batch)' : `guidance ${guidance} (CFG: UNet batch of 2)`;
      console.log(`${label}:`);
      console.log(`  steps/s pipeline: ${((STEPS * 1000) / pm).toFixed(1)}  (direct session.run: ${((STEPS * 1000) / dm).toFixed(1)})`);
      console.log(`  pipeline overhead vs direct session.run: ${overhead.toFixed(1)} %  (median of paired rounds; target ≤ 5 %; includes text encoding, noise, scheduler and guidance maths)`);
      console.log(`  pipeline time outside unet session.run: ${(median(outside) * 100).toFixed(1)} % of the UNet time (load-independent view of the same overhead)`);
      console.log(`  steps/s with previews (VAE decode of x̂₀ every ${Math.max(1, Math.floor(STEPS / 8))} steps, PNG): ${((STEPS * 1000) / withPreviews).toFixed(1)}`);
    }
  } finally {
    await model.release();
    cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
