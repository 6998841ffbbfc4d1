// `npm run check:device [-- --providers cpu,webgpu,cuda] [--full DIR] [--json FILE] [--steps N]`:
// runs the studio's pipelines on every ONNX Runtime execution provider that starts here and
// compares each with the CPU. Models: the tiny SD 1.5-architecture fixture
// (test/fixtures/sd15-tiny/opset14, torch-exported, 64×64 pixels / 8×8 latents), the embedded
// model (models/svdiff-shapes, 32×32), and with --full a full-size diffusers ONNX folder (e.g.
// research/fixtures/sd15/generate.py --size full) at 512×512 with 2 steps. Stages per model and
// provider, through the project's own APIs: load (LoadedModel.load), SVD Decompose (once per
// model, on the first run: it does not use ORT), Sample (sampleLatents: N DDIM steps, guidance
// 3, seed 1), DDIM Invert (encodeImage of a fixed test image, invertLatents with N steps,
// guidance 1), resample (sampleLatents from the inverted latent, guidance 1) and train
// (runTraining: 2 Spectral Shift Train steps, UNet + text encoder, batch 1, no prior, seed 0).
// Stage times include opening the sessions (and, on GPUs, kernel compilation).
//
// Providers: cpu always runs (it is the reference); webgpu and cuda are tried with the
// studio's device check, and one that cannot start is listed with the DeviceUnavailableError
// message and skipped (not an error).
//
// Tolerances (scripts/lib/device-check.ts TOLERANCES), for the float32 models here against the
// CPU run of the same model; seeds, noise and training batches are identical, so only the
// arithmetic differs (kernel order, fused ops, TF32):
//   metric                                             webgpu (float32)   cuda (TF32)
//   latent: max |z − z_cpu| / max(1, max |z_cpu|)      ≤ 1e-2             ≤ 1e-1
//     of Sample, DDIM Invert and the re-sample, after N (default 4) steps (SD latents have
//     scale ~1, so this is their max-abs; the random-weight fixture's sample reaches ~12);
//   loss of each training step: |l − l_cpu| / |l_cpu|  ≤ 1e-3             ≤ 1e-2
//   shifts after 2 steps: ‖δ − δ_cpu‖₂ / ‖δ_cpu‖₂       ≤ 5e-2             ≤ 3e-1
// cuda is looser because ORT's CUDA provider runs float32 MatMul/Conv in TF32 (10-bit mantissa,
// ~5e-4 relative rounding) by default (its use_tf32 option, which the studio leaves on). Basis, measured on CPU by perturbing every weight of both
// models by a relative ε (seeded Gaussian) and comparing as here, worst stage of either model:
//   ε = 1e-6: latent 5e-5, loss 8e-7, shifts 1e-3 (float32-level noise: webgpu has ~100× margin);
//   ε = 3e-4: latent 1.9e-2, loss 2.4e-4, shifts 6.3e-2 (about TF32's rounding);
//   ε = 1e-3: latent 6.3e-2, loss 7.3e-4, shifts 0.14 (about twice it: within cuda's limits).
// Shifts are the most sensitive: AdamW's first steps move each δ by ≈ lr·sign(gradient), so a
// gradient component near 0 can flip sign between providers and move its δ by 2·lr. A wrong
// kernel gives differences of order 1. These limits are not yet checked on a GPU.
// CPU rows only check that their outputs are finite. The exit code is 1 when any comparison is outside
// its tolerance, when any output is not finite, or when a provider that started fails mid-run
// (the failure is a table row); 2 for bad options; 0 otherwise.
//
// Device memory: for cuda, nvidia-smi's memory.used of GPU 0 before the stage → its peak while
// the stage runs (polled); 'n/a' elsewhere. Peak RSS is the process's peak so far
// (process.resourceUsage().maxRSS), printed on every row and at the end.
import { Command } from 'commander';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceName } from '../server/core/device.ts';
import { checkDevice, encodeImage, invertLatents, LoadedModel, sampleLatents, type Latent } from '../server/diffusion/index.ts';
import { testImage } from '../server/diffusion/pipeline/model.testing.ts';
import { runTraining } from '../server/diffusion/training/index.ts';
import { clearSessionCache, DeviceUnavailableError } from '../server/onnx/session.ts';
import { decomposeModel, type SvdValue } from '../server/spectral/index.ts';
import type { Storage } from '../server/core/index.ts';
import { createStorage } from '../server/storage.ts';
import { checkReference, compareStage, formatTable, toleranceFor, toRow, type Check, type Row, type Stage, type StageResult } from './lib/device-check.ts';
import { withDeviceMemory } from './lib/gpu-memory.ts';

const PROVIDERS: readonly DeviceName[] = ['cpu', 'webgpu', 'cuda'];
const root = fileURLToPath(new URL('..', import.meta.url));
/** SD 1.5 layers trained (as test/sd15/train.test.ts): cross-attention keys, a GroupNorm scale, the token embedding. */
const SD15_LAYERS = 'attn2\\.to_k|mid_block\\.resnets\\.0\\.norm1|token_embedding';
const TRAIN_STEPS = 2;

interface ModelSpec {
  label: string;
  dir: string;
  side: number;
  steps: number;
  prompt: string;
  trainPrompt: string;
  /** SVD Decompose's name filter ('' = every layer). */
  layers: string;
}

const o = new Command('check-device')
  .description('Sample, DDIM Invert and Spectral Shift Train on every ONNX Runtime provider that starts, compared with the CPU')
  .option('--providers <list>', 'comma-separated providers to try (cpu always runs: it is the reference)', PROVIDERS.join(','))
  .option('--full <dir>', 'also run this full-size model folder at 512×512 with 2 steps')
  .option('--json <file>', 'write the results here')
  .option('--steps <n>', 'DDIM steps (Sample, DDIM Invert) for the small models', '4')
  .parse()
  .opts<{ providers: string; full?: string; json?: string; steps: string }>();

const usage = (msg: string): never => {
  console.error(`check:device: ${msg}`);
  process.exit(2);
};
const asked = o.providers.split(',').map((s) => s.trim()).filter(Boolean);
for (const p of asked) if (!(PROVIDERS as readonly string[]).includes(p)) usage(`unknown provider "${p}" (expected ${PROVIDERS.join(', ')})`);
const providers = PROVIDERS.filter((p) => p === 'cpu' || asked.includes(p));
const steps = Number(o.steps);
if (!Number.isInteger(steps) || steps < 1 || steps > 50) usage(`--steps must be an integer from 1 to 50, got ${o.steps}`);
if (o.full && !existsSync(join(o.full, 'model_index.json'))) usage(`--full ${o.full}: no model_index.json there`);

const models: ModelSpec[] = [
  { label: 'sd15-tiny', dir: join(root, 'test/fixtures/sd15-tiny/opset14'), side: 64, steps, prompt: 'a photo of a dog', trainPrompt: 'a photo of a sks dog', layers: SD15_LAYERS },
  { label: 'svdiff-shapes', dir: join(root, 'models/svdiff-shapes'), side: 32, steps, prompt: 'a large red circle in the center on a gray background', trainPrompt: 'a sks heart', layers: '' },
  ...(o.full ? [{ label: `full:${basename(resolve(o.full))}`, dir: resolve(o.full), side: 512, steps: 2, prompt: 'a photo of a dog', trainPrompt: 'a photo of a sks dog', layers: SD15_LAYERS }] : []),
];

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? String(e);
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** Runs every stage of one model on one provider; each finished stage (or the failure) goes to `emit`. */
async function runModel(spec: ModelSpec, provider: DeviceName, storage: Storage, shared: { svd?: SvdValue }, emit: (r: StageResult) => void): Promise<void> {
  let current: Stage = 'load';
  const stage = async <T>(name: Stage, fn: () => Promise<T>, keep: (v: T) => Partial<StageResult> = () => ({})): Promise<T> => {
    current = name;
    const t0 = performance.now();
    const { value, memory } = await withDeviceMemory(provider, fn);
    emit({ model: spec.label, provider, stage: name, seconds: (performance.now() - t0) / 1000, deviceMemory: memory, peakRssMiB: peakRssMiB(), ...keep(value) });
    return value;
  };
  const latent = (z: Latent) => ({ latent: z.samples });
  let model: LoadedModel | undefined;
  const t0 = performance.now();
  try {
    const m = (model = await stage('load', () => LoadedModel.load(spec.dir, { device: provider, name: spec.label, hashIndexPath: join(storage.cacheDir, 'model-hashes.json') })));
    const svd = (shared.svd ??= await stage('svd', async () => (await decomposeModel(m, { parts: ['unet', 'text_encoder'], layers: 'all', nameFilter: spec.layers }, { cacheDir: storage.cacheDir })).svd));
    const loop = { prompt: spec.prompt, negativePrompt: '', steps: spec.steps };
    await stage('sample', () => sampleLatents(m, { ...loop, guidance: 3, eta: 0, seed: 1, width: spec.side, height: spec.side, batch: 1 }), latent);
    const zT = await stage('invert', async () => invertLatents(m, { ...loop, guidance: 1, latent: await encodeImage(m, testImage(spec.side, spec.side)) }), latent);
    await stage('resample', () => sampleLatents(m, { ...loop, guidance: 1, eta: 0, seed: 0, latent: zT }), latent);
    await stage('train', async () => {
      const out = await runTraining({
        model: m, svd, storage, checkpoints: false,
        request: {
          subjects: [{ images: testImage(spec.side, spec.side, 2), prompt: spec.trainPrompt, identifier: 'sks', classPrompt: '', suffix: '' }],
          priorWeight: 0, numClassImages: 1, steps: TRAIN_STEPS, batchSize: 1, lr: 1e-3, lr1d: 1e-6, lrTextEncoder: 1e-3, weightDecay: 0.01,
          maxGradNorm: 1, seed: 0, resolution: spec.side, randomCrop: false, randomFlip: false, parts: 'unet+text_encoder',
          mixProbability: 0, unmixWeight: 0, checkpointEvery: 0,
        },
      });
      if (out.result.partial) throw new Error(out.result.stopped?.message ?? 'training stopped early');
      return out.result;
    }, (r) => ({ losses: r.losses, deltas: r.deltas, note: `graph + session ${(r.setupMs / 1000).toFixed(1)} s, ${r.stepMs.toFixed(0)} ms/step` }));
  } catch (e) {
    emit({ model: spec.label, provider, stage: 'error', seconds: (performance.now() - t0) / 1000, deviceMemory: 'n/a', peakRssMiB: peakRssMiB(), error: `${current}: ${firstLine(e)}` });
  } finally {
    await model?.release();
    await clearSessionCache();
  }
}

const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'check-device-'));
const storage = createStorage({ dataDir: join(work, 'data'), modelsDir: join(work, 'models') });
const skipped: { provider: DeviceName; reason: string }[] = [];
const running: DeviceName[] = [];
const results: StageResult[] = [];
const rows: (Row & { checks: Check[]; error?: string })[] = [];

try {
  for (const p of providers) {
    try {
      await checkDevice(p);
      running.push(p);
    } catch (e) {
      if (!(e instanceof DeviceUnavailableError)) throw e;
      skipped.push({ provider: p, reason: e.message });
      console.error(`${p}: skipped (${e.message})`);
    }
  }
  for (const spec of models) {
    const shared: { svd?: SvdValue } = {};
    for (const p of running) {
      await runModel(spec, p, storage, shared, (r) => {
        results.push(r);
        console.error(`${r.model} ${r.provider} ${r.stage} ${r.seconds.toFixed(2)} s${r.error ? `: ${r.error}` : ''}`);
      });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const r of results) {
  const isReference = r.provider === 'cpu';
  const ref = results.find((c) => c.provider === 'cpu' && c.model === r.model && c.stage === r.stage);
  const checks = isReference ? checkReference(r) : compareStage(r, ref);
  rows.push({ ...toRow(r, checks, isReference), checks, ...(r.error ? { error: r.error } : {}) });
}
const ok = rows.every((r) => r.verdict !== 'FAIL');
const seconds = (performance.now() - started) / 1000;

console.log(`providers: ${running.join(', ')} ran${skipped.length ? `; skipped: ${skipped.map((s) => s.provider).join(', ')}` : ''}`);
for (const s of skipped) console.log(`  ${s.provider}: ${s.reason}`);
const tolerances = Object.fromEntries(running.filter((p) => p !== 'cpu').map((p) => [p, toleranceFor(p)]));
for (const [p, t] of Object.entries(tolerances)) console.log(`tolerances vs CPU, ${p}: latent max-abs/max(1, max|z_cpu|) ≤ ${t.latent}, loss rel ≤ ${t.loss}, shifts rel ≤ ${t.shifts}`);
console.log('');
console.log(formatTable(rows));
console.log(`\npeak RSS ${Math.round(peakRssMiB())} MiB; ${seconds.toFixed(1)} s in all; ${ok ? 'all within tolerance' : 'FAILED: see the rows marked FAIL'}`);

if (o.json) {
  writeFileSync(o.json, JSON.stringify({
    ok, seconds, peakRssMiB: peakRssMiB(), steps, tolerances, providers: { ran: running, skipped },
    rows: rows.map((r) => ({ ...r, checks: r.checks.map((c) => ({ ...c, value: Number.isNaN(c.value) ? null : c.value })) })),
  }, null, 2));
}
process.exit(ok ? 0 : 1);
