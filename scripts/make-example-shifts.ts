// Writes the example shift files that combine-shifts.json loads (workflows/assets/shifts/
// sks-heart.safetensors and sks-moon.safetensors), so that template runs on a fresh data folder:
// `serve` and `run` copy them into data/shifts/ when missing (server/example-inputs.ts).
// Each is the personalise workflow's training (workflows/svdiff-personalize.json: Load Model →
// SVD Decompose → Spectral Shift Train → Save Shifts, seed 0) on the embedded model, CPU:
// the hearts as "a sks heart" / "a heart", the moons as "a sks moon" / "a moon". Re-run after
// the embedded model changes (a shift file only loads on the model whose hash it records):
//   npx tsx scripts/make-example-shifts.ts [--steps 400]
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { ApiPrompt } from '../nodes/define.ts';
import { loadRegistry } from '../server/engine/registry.ts';
import { OutputCache } from '../server/engine/index.ts';
import { createStorage } from '../server/storage.ts';
import { EXAMPLE_SHIFTS, seedExampleInputs } from '../server/example-inputs.ts';
import { ASSETS, nodeId, PERSONALIZE, SHIFT_FILES } from './lib/example-workflows.ts';
import { runWorkflow, type RunContext } from './lib/run-workflow.ts';

const o = new Command('make-example-shifts')
  .option('--steps <n>', 'training steps (the personalise workflow trains 400)', '400')
  .option('--out <dir>', 'where to write the files', EXAMPLE_SHIFTS)
  .parse()
  .opts();

/** Only what the shift file needs: the personalise graph up to Save Shifts (no sampling). */
const KEEP = ['model', 'svd', 'images', 'train', 'save_shifts'].map((k) => nodeId(PERSONALIZE, k));
const trainingOnly = (p: ApiPrompt): ApiPrompt => Object.fromEntries(Object.entries(p).filter(([id]) => KEEP.includes(id)));

const root = mkdtempSync(join(tmpdir(), 'example-shifts-'));
try {
  const storage = createStorage({ dataDir: join(root, 'data'), modelsDir: fileURLToPath(new URL('../models', import.meta.url)) });
  seedExampleInputs(storage.inputDir);
  const ctx: RunContext = { registry: await loadRegistry(), storage, device: 'cpu', cache: new OutputCache(1 << 30), log: (l) => /^(done|saved)/.test(l) && console.log(`  ${l}`) };
  const train = { steps: Number(o.steps), seed: 0, checkpoint_every: 0 };
  const concepts = [
    { file: SHIFT_FILES.heart, folder: ASSETS.heartFolder, instance_prompt: 'a sks heart', class_prompt: 'a heart' },
    { file: SHIFT_FILES.moon, folder: ASSETS.moonFolder, instance_prompt: 'a sks moon', class_prompt: 'a moon' },
  ];
  mkdirSync(o.out, { recursive: true });
  for (const c of concepts) {
    const t0 = performance.now();
    await runWorkflow('svdiff-personalize', PERSONALIZE, {
      images: { folder: c.folder },
      train: { ...train, instance_prompt: c.instance_prompt, class_prompt: c.class_prompt },
      save_shifts: { filename_prefix: c.file },
    }, ctx, trainingOnly);
    copyFileSync(join(storage.shiftsDir, `${c.file}.safetensors`), join(o.out, `${c.file}.safetensors`));
    console.log(`${c.file}.safetensors: "${c.instance_prompt}", ${train.steps} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
