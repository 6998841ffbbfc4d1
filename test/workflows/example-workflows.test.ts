// Every example workflow (workflows/*.json) converts, validates against the real registry and
// runs headless on the embedded model on CPU, with reduced steps, each on what a fresh data folder
// holds once the server (or `svdiff-studio run`) seeded it: the example images and shift files.
// Outputs are real PNGs of the expected size. The JSON files must equal what
// scripts/make-workflows.ts generates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegistry, type NodeRegistry } from '../../server/engine/registry.ts';
import type { Storage } from '../../nodes/define.ts';
import { createStorage } from '../../server/storage.ts';
import { OutputCache, validatePrompt, workflowToPrompt } from '../../server/engine/index.ts';
import { decodePng } from '../../server/image/index.ts';
import { exampleWorkflows } from '../../scripts/make-workflows.ts';
import { ADAPTER_FILE, combineShifts, COMBINE_ALPHAS, COSINE_EDIT, ERASE_CONCEPT, MULTI_SUBJECT, PERSONALIZE, SHIFT_FILES } from '../../scripts/lib/example-workflows.ts';
import { patchType, readWorkflow, runWorkflow, WORKFLOWS_DIR, type RunContext } from '../../scripts/lib/run-workflow.ts';
import { EXAMPLE_SHIFTS, seedExampleData } from '../../server/example-inputs.ts';

const MODEL_DIR = fileURLToPath(new URL('../../models/svdiff-shapes', import.meta.url));
/** Generous: CI machines are shared; the whole file takes about 1.5 min on 2 cores. */
const RUN_TIMEOUT = 240_000;
const NAMES = ['svdiff-personalize', 'combine-shifts', 'cosine-edit', 'multi-subject', 'erase-concept'];

let root: string;
let storage: Storage;
let registry: NodeRegistry;
let ctx: RunContext;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'svdiff-examples-'));
  // A private copy of the model: train:base may replace the repository's copy meanwhile.
  cpSync(MODEL_DIR, join(root, 'models', 'svdiff-shapes'), { recursive: true });
  storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
  seedExampleData(storage);
  registry = await loadRegistry();
  ctx = { registry, storage, device: 'cpu', cache: new OutputCache(1 << 30) };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Few steps everywhere: the graph is exercised, not the quality. */
const fastSampling = (p: Parameters<typeof patchType>[0]) => patchType(patchType(p, 'Sample', { steps: 2 }), 'DDIMInvert', { steps: 2 });
const fastTrain = { steps: 3, num_class_images: 1, checkpoint_every: 0 };

function expectPngs(paths: string[] | undefined, count: number, size: [number, number] | null = [32, 32]): void {
  expect(paths).toHaveLength(count);
  for (const p of paths!) {
    expect(existsSync(p)).toBe(true);
    const img = decodePng(new Uint8Array(readFileSync(p)));
    if (size) expect([img.width, img.height]).toEqual(size);
    expect(img.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  }
}

describe('example workflows', () => {
  it('are the files scripts/make-workflows.ts generates, one per example', () => {
    const files = readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(NAMES.map((n) => `${n}.json`).sort());
    for (const [name, wf] of Object.entries(exampleWorkflows(registry))) {
      expect(JSON.parse(readFileSync(join(WORKFLOWS_DIR, `${name}.json`), 'utf8')), `${name}.json is stale: run npx tsx scripts/make-workflows.ts`).toEqual(JSON.parse(JSON.stringify(wf)));
    }
  });

  it('a fresh data folder holds the example shift files combine-shifts loads', () => {
    expect(readdirSync(EXAMPLE_SHIFTS).sort()).toEqual([`${SHIFT_FILES.heart}.safetensors`, `${SHIFT_FILES.moon}.safetensors`]);
    for (const f of [SHIFT_FILES.heart, SHIFT_FILES.moon]) expect(existsSync(join(storage.shiftsDir, `${f}.safetensors`)), f).toBe(true);
  });

  it('every workflow converts and validates against the real registry on a fresh data folder', async () => {
    for (const name of NAMES) {
      const prompt = workflowToPrompt(await readWorkflow(name), registry);
      const v = await validatePrompt(prompt, registry, { storage });
      expect(v.node_errors, name).toEqual({});
      expect(v.ok, name).toBe(true);
    }
  });

  it('combine shifts: one sample per α from interpolated shifts, before any other workflow ran', async () => {
    const desc = combineShifts();
    const run = await runWorkflow('combine-shifts', desc, {}, ctx, fastSampling);
    const all = Object.values(run.images).flat();
    if (registry.get('ImageBatch')) expectPngs(all, 1, null); // one grid image
    else expectPngs(all, COMBINE_ALPHAS.length);
  }, RUN_TIMEOUT);

  it('personalise: trains sks-heart shifts, saves them, samples the heart in new contexts', async () => {
    const run = await runWorkflow('svdiff-personalize', PERSONALIZE, { train: fastTrain }, ctx, fastSampling);
    expect(existsSync(join(storage.shiftsDir, `${SHIFT_FILES.heart}.safetensors`))).toBe(true);
    const saved = Object.values(run.images);
    expect(saved).toHaveLength(2);
    for (const paths of saved) expectPngs(paths, 4);
  }, RUN_TIMEOUT);

  it('CoSINE edit: single-image shifts → DDIM invert → slerp → edited sample', async () => {
    const run = await runWorkflow('cosine-edit', COSINE_EDIT, { train: fastTrain }, ctx, fastSampling);
    expectPngs(Object.values(run.images).flat(), 1);
  }, RUN_TIMEOUT);

  it('multi-subject: Cut-Mix-Unmix on heart + moon, then both in one prompt', async () => {
    const run = await runWorkflow('multi-subject', MULTI_SUBJECT, { train: fastTrain }, ctx, fastSampling);
    expectPngs(Object.values(run.images).flat(), 4);
    expect(existsSync(join(storage.shiftsDir, `${SHIFT_FILES.multi}.safetensors`))).toBe(true);
  }, RUN_TIMEOUT);

  it('erase concept: trains two erasers, saves one, samples before, after, both, and an unrelated prompt', async () => {
    const fastErase = { steps: 3, checkpoint_every: 0 };
    const run = await runWorkflow('erase-concept', ERASE_CONCEPT, { erase_circle: fastErase, erase_red: fastErase }, ctx, fastSampling);
    expectPngs(Object.values(run.images).flat(), 16);
    expect(existsSync(join(storage.adaptersDir, `${ADAPTER_FILE}.safetensors`))).toBe(true);
  }, RUN_TIMEOUT);
});
