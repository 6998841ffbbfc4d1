// Autodiff benchmark on CPU: forward time, forward+backward time (one ORT run, gradients into
// every weight), their ratio and peak RSS, for two ~1.6 M-parameter UNets with cross-attention
// at 32×32: the project's own builder graph (batch BENCH_BATCH, default 32), and the graph torch
// writes for SD 1.5's building blocks (bench/torch/unet_small.py, exported once into
// tmp/bench/unet-small) at batch 8 and 32 — beside PyTorch's own forward and training step on the
// same model, in the same run (Debian's python3-torch; with OpenBLAS, see that file).
// Each timing runs in its own child process so that its peak RSS is its own.
// Run alone with `npx tsx bench/onnx.ts`; `npm run bench` calls run().
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BENCH_UNET, buildUNet } from '../server/onnx/unet.testing.ts';
import { addMseLoss, createSession, differentiate, liftParameters, loadModel, normal, numel, ort, rng, saveModel, type ModelProto } from '../server/onnx/index.ts';
import { median } from './stats.ts';

const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const TORCH_BATCHES = (process.env.BENCH_TORCH_BATCHES ?? '8,32').split(',').map(Number);
const SIZE = 32, SEQ = 16, REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const threads = Number(process.env.BENCH_THREADS ?? 0) || undefined;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TORCH_SCRIPT = path.join(ROOT, 'bench/torch/unet_small.py');
const TORCH_MODEL = path.join(ROOT, 'tmp/bench/unet-small/model.onnx');

/** 'builder': the project's bench UNet; 'torch': the torch export of bench/torch/unet_small.py. */
type Source = 'builder' | 'torch';

function setup(source: Source, batch: number) {
  let unet: ModelProto, params: string[], contextDim: number, timestep: ort.Tensor;
  if (source === 'builder') {
    const cfg = { ...BENCH_UNET, batch, size: SIZE, seqLen: SEQ };
    ({ model: unet, params } = buildUNet(cfg));
    contextDim = cfg.contextDim;
    timestep = new ort.Tensor('float32', Float32Array.from({ length: batch }, (_, i) => (i * 31) % 1000), [batch]);
  } else {
    unet = loadModel(TORCH_MODEL);
    params = torchWeights(unet);
    contextDim = Number(unet.graph!.input!.find((v) => v.name === 'encoder_hidden_states')!.type!.tensorType!.shape!.dim![2].dimValue);
    timestep = new ort.Tensor('int64', BigInt64Array.from({ length: batch }, (_, i) => BigInt((i * 31) % 1000)), [batch]);
  }
  const { model, params: values } = liftParameters(addMseLoss(unet, { output: 'out_sample', target: 'target' }), params);
  const rand = rng(1);
  const randn = (dims: number[]) => new ort.Tensor('float32', Float32Array.from({ length: numel(dims) }, () => normal(rand)), dims);
  const feeds: Record<string, ort.Tensor> = {
    sample: randn([batch, 4, SIZE, SIZE]), target: randn([batch, 4, SIZE, SIZE]), encoder_hidden_states: randn([batch, SEQ, contextDim]), timestep,
  };
  for (const p of values) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  return { model, params, feeds, nParams: values.reduce((a, p) => a + p.data.length, 0) };
}

/**
 * The weights of a torch export: its float initializers of more than one value, but not the
 * constant scale and bias torch gives InstanceNormalization when it writes GroupNorm (ones and
 * zeros per group; the affine weight follows as a Mul and an Add).
 */
function torchWeights(m: ModelProto): string[] {
  const constants = new Set((m.graph!.node ?? []).filter((n) => n.opType === 'InstanceNormalization').flatMap((n) => n.input!.slice(1)));
  return (m.graph!.initializer ?? []).filter((t) => t.dataType === 1 && numel((t.dims ?? []).map(Number)) > 1 && !constants.has(t.name!)).map((t) => t.name!);
}

// Two warm-up runs: ORT plans its memory pattern on the first run and allocates it on the
// second (page faults: 3 s forward, 17 s forward+backward on this VM), so the third is warm.
const WARMUP = 2;

/** Child: open one model, time REPEAT runs after the warm-up, print JSON {ms, peak}. */
async function child(source: Source, batch: number, file: string, fetchGrads: boolean): Promise<void> {
  const { params, feeds } = setup(source, batch);
  const s = await createSession(loadModel(file), { cache: false, threads, spinning: false });
  const fetches = ['loss', ...(fetchGrads ? params.map((p) => `grad/${p}`) : [])];
  for (let i = 0; i < WARMUP; i++) await s.run(feeds, fetches);
  const ts: number[] = [], cpu: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(feeds, fetches);
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  // The minimum is the run least disturbed by other load on a shared machine (the median
  // moved by ±15 % between back-to-back runs of the same code here).
  console.log(JSON.stringify({ ms: median(ts), cpu: median(cpu), best: Math.min(...ts), peak: process.resourceUsage().maxRSS * 1024 }));
}

/**
 * Child: both models in one process, runs alternated, so each forward+backward is timed next to a
 * forward under the same load; prints the per-pair ratios (the RSS children above cannot share a process).
 */
async function pairs(source: Source, batch: number, fwdFile: string, gradFile: string): Promise<void> {
  const { params, feeds } = setup(source, batch);
  const open = (f: string) => createSession(loadModel(f), { cache: false, threads, spinning: false });
  const [fwd, bwd] = [await open(fwdFile), await open(gradFile)];
  const grads = ['loss', ...params.map((p) => `grad/${p}`)];
  const time = async (s: typeof fwd, fetches: string[]) => {
    const t0 = performance.now();
    await s.run(feeds, fetches);
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP; i++) {
    await time(fwd, ['loss']);
    await time(bwd, grads);
  }
  const ratios: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const f = await time(fwd, ['loss']);
    ratios.push((await time(bwd, grads)) / f);
  }
  console.log(JSON.stringify({ ratios }));
}

export async function run(): Promise<void> {
  await measure('builder', BATCH);
  if (!ensureTorchModel()) return;
  for (const batch of TORCH_BATCHES) {
    const ours = await measure('torch', batch);
    const py = spawnSync('/usr/bin/python3', [TORCH_SCRIPT, 'time', String(batch), String(REPEAT)], { encoding: 'utf8' });
    if (py.status !== 0) {
      console.log(`  PyTorch: failed (${py.stderr.trim().split('\n').pop()})`);
      continue;
    }
    const t = JSON.parse(py.stdout.trim().split('\n').pop()!) as { forward_s: number; step_s: number; forward_min_s: number; step_min_s: number; threads: number; blas: string };
    const ratio = t.step_s / t.forward_s;
    console.log(`  PyTorch ${py.stdout.includes('"blas": "openblas"') ? '' : `(BLAS: ${t.blas}; not OpenBLAS, so slow: apt-get install libopenblas0-pthread) `}forward ${(t.forward_s * 1000).toFixed(0)} ms, step ${(t.step_s * 1000).toFixed(0)} ms (median; best ${(t.forward_min_s * 1000).toFixed(0)} / ${(t.step_min_s * 1000).toFixed(0)}), ratio ${ratio.toFixed(2)}, ${t.threads} threads`);
    console.log(`  project vs PyTorch  forward ${(t.forward_s * 1000 / ours.fwdMs).toFixed(2)}× faster, step ${(t.step_s * 1000 / ours.stepMs).toFixed(2)}× faster; ratio ${ours.ratio.toFixed(2)} vs ${ratio.toFixed(2)} (target ≤ 3.0: ${ours.ratio <= 3 ? 'met' : 'NOT met'})`);
  }
}

/** The torch export, written once by bench/torch/unet_small.py; false (with a line saying why) without torch. */
function ensureTorchModel(): boolean {
  if (fs.existsSync(TORCH_MODEL)) return true;
  const r = spawnSync('/usr/bin/python3', [TORCH_SCRIPT, 'export', TORCH_MODEL], { encoding: 'utf8' });
  if (r.status === 0) return true;
  console.log(`onnx autodiff bench, torch-exported UNet: skipped, the export needs Debian's python3-torch (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`);
  return false;
}

/** Builds, saves and times one graph (forward, forward+backward, alternated pairs); prints its rows. */
async function measure(source: Source, batch: number): Promise<{ fwdMs: number; stepMs: number; ratio: number }> {
  const { model, params, nParams, feeds } = setup(source, batch);
  const t0 = performance.now();
  const inputShapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dims]));
  const grad = await differentiate(model, { loss: 'loss', wrt: params, inputShapes });
  const buildMs = performance.now() - t0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-onnx-'));
  try {
    saveModel(model, path.join(dir, 'fwd.onnx'));
    saveModel(grad, path.join(dir, 'grad.onnx'));
    const self = fileURLToPath(import.meta.url);
    /** Runs this file as a child with `args` and parses the JSON it prints last. */
    const inChild = <T>(...args: string[]): T => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!) as T;
    type Timing = { ms: number; cpu: number; best: number; peak: number };
    const [fwdFile, gradFile] = [path.join(dir, 'fwd.onnx'), path.join(dir, 'grad.onnx')];
    const f = inChild<Timing>('--child', source, String(batch), fwdFile, '0');
    const b = inChild<Timing>('--child', source, String(batch), gradFile, '1');
    const { ratios } = inChild<{ ratios: number[] }>('--pairs', source, String(batch), fwdFile, gradFile);
    const sorted = [...ratios].sort((x, y) => x - y);
    const mb = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
    const what = source === 'builder' ? 'the project\'s builder graph' : 'the graph torch exports (bench/torch/unet_small.py)';
    console.log(`onnx autodiff bench: UNet ${(nParams / 1e6).toFixed(2)} M params, ${what}, self+cross-attention, ${SIZE}x${SIZE}, batch ${batch}, CPU (${threads ?? os.availableParallelism()} threads, no spinning), median and best of ${REPEAT} after ${WARMUP} warm-up runs`);
    console.log(`  graph              ${model.graph!.node!.length} forward + ${grad.graph!.node!.length - model.graph!.node!.length} backward nodes, built in ${(buildMs / 1000).toFixed(1)} s (incl. shape probe)`);
    console.log(`  forward            ${f.ms.toFixed(0)} ms wall, ${f.cpu.toFixed(0)} ms CPU   (peak RSS ${mb(f.peak)})`);
    console.log(`  forward+backward   ${b.ms.toFixed(0)} ms wall, ${b.cpu.toFixed(0)} ms CPU   (peak RSS ${mb(b.peak)})`);
    console.log(`  forward (best)     ${f.best.toFixed(0)} ms wall;  forward+backward (best) ${b.best.toFixed(0)} ms wall`);
    console.log(`  ratio              ${(b.ms / f.ms).toFixed(2)} wall, ${(b.cpu / f.cpu).toFixed(2)} CPU, ${(b.best / f.best).toFixed(2)} best wall   (target <= 3.0)`);
    console.log(`  ratio, alternated  median ${median(ratios).toFixed(2)} of ${sorted.map((r) => r.toFixed(2)).join(' ')}   (forward and forward+backward run in turn in one process)`);
    return { fwdMs: f.ms, stepMs: b.ms, ratio: median(ratios) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const k = process.argv.indexOf('--child');
  const pk = process.argv.indexOf('--pairs');
  const a = (i: number) => process.argv[i];
  if (k >= 0) await child(a(k + 1) as Source, Number(a(k + 2)), a(k + 3), a(k + 4) === '1');
  else if (pk >= 0) await pairs(a(pk + 1) as Source, Number(a(pk + 2)), a(pk + 3), a(pk + 4));
  else await run();
}
