// Screenshots for the tour (README.md, "A tour"): each example workflow opened from the Templates tab
// of the real studio, queued at its saved settings, captured after the run.
//   npx tsx scripts/tour-screenshots.ts [name ...]     (default: all five templates)
// The data folder is seeded as the server seeds a fresh one (example images and shift files);
// combine-shifts' shift files are trained here only if that seeding found none.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClientBuilt, launchBrowser, queueAndScreenshot, repoRoot, startServer } from '../test/e2e/harness.ts';
import { loadRegistry } from '../server/engine/registry.ts';
import { createStorage } from '../server/storage.ts';
import { PERSONALIZE, SHIFT_FILES } from './lib/example-workflows.ts';
import { runWorkflow } from './lib/run-workflow.ts';
import { seedExampleData } from '../server/example-inputs.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any;

const names = process.argv.slice(2).length ? process.argv.slice(2) : ['svdiff-personalize', 'combine-shifts', 'cosine-edit', 'multi-subject', 'erase-concept'];
const outDir = join(repoRoot, 'docs', 'tour');
mkdirSync(outDir, { recursive: true });

ensureClientBuilt();
// TOUR_DATA_DIR: reuse a data folder (e.g. one whose shift files a previous run trained).
const dataDir = process.env.TOUR_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'svdiff-tour-'));
const storage = createStorage({ dataDir });
seedExampleData(storage);
const haveShifts = [SHIFT_FILES.heart, SHIFT_FILES.moon].every((f) => existsSync(join(storage.shiftsDir, `${f}.safetensors`)));
if (names.includes('combine-shifts') && !haveShifts) {
  const ctx = { registry: await loadRegistry(), storage, log: (l: string) => console.error(`  ${l}`) };
  console.error('training sks-heart and sks-moon for combine-shifts');
  await runWorkflow('svdiff-personalize', PERSONALIZE, { sample_bg: { batch_size: 1 }, sample_pos: { batch_size: 1 } }, ctx);
  await runWorkflow('svdiff-personalize', PERSONALIZE, {
    images: { folder: 'moon' }, train: { instance_prompt: 'a sks moon', class_prompt: 'a moon' }, save_shifts: { filename_prefix: SHIFT_FILES.moon },
    sample_bg: { batch_size: 1 }, sample_pos: { batch_size: 1 },
  }, ctx);
}

const server = await startServer({ dataDir });
const browser = await launchBrowser();
try {
  for (const name of names) {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.on('dialog', (d) => void d.accept());
    await page.goto(server.url);
    await page.waitForFunction(() => window.svdiff?.studio && window.svdiff.studio.graph);
    await page.click('[data-testid="tab-templates"]');
    await page.click(`[data-testid="template-${name}"] .grow`);
    console.error(`running ${name}`);
    await queueAndScreenshot(page, join(outDir, `${name}.png`), { timeoutMs: 1_800_000, pollMs: 1000 });
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
