// Autodiff benchmark: a ~1.6 M-parameter UNet with cross-attention at 32×32, batch 32, on CPU.
// Prints forward time, forward+backward time (one ORT run), their ratio and peak RSS. Each
// timing runs in its own child process so that its peak RSS is its own.
// Run alone with `npx tsx bench/onnx.ts`; `npm run bench` calls run().
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BENCH_UNET, buildUNet } from '../server/onnx/unet.testing.ts';
import { addMseLoss, createSession, differentiate, liftParameters, loadModel, normal, numel, ort, rng, saveModel } from '../server/onnx/index.ts';
import { median } from './stats.ts';

const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const SIZE = 32, SEQ = 16, REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const threads = Number(process.env.BENCH_THREADS ?? 0) || undefined;

function setup() {
  const cfg = { ...BENCH_UNET, batch: BATCH, size: SIZE, seqLen: SEQ };
  const { model: unet, params } = buildUNet(cfg);
  const { model, params: values } = liftParameters(addMseLoss(unet, { output: 'out_sample', target: 'target' }), params);
  const rand = rng(1);
  const randn = (dims: number[]) => new ort.Tensor('float32', Float32Array.from({ length: numel(dims) }, () => normal(rand)), dims);
  const feeds: Record<string, ort.Tensor> = {
    sample: randn([BATCH, 4, SIZE, SIZE]), target: randn([BATCH, 4, SIZE, SIZE]), encoder_hidden_states: randn([BATCH, SEQ, cfg.contextDim]),
    timestep: new ort.Tensor('float32', Float32Array.from({ length: BATCH }, (_, i) => (i * 31) % 1000), [BATCH]),
  };
  for (const p of values) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  return { model, params, feeds, nParams: values.reduce((a, p) => a + p.data.length, 0) };
}

// Two warm-up runs: ORT plans its memory pattern on the first run and allocates it on the
// second (page faults: 3 s forward, 17 s forward+backward on this VM), so the third is warm.
const WARMUP = 2;

/** Child: open one model, time REPEAT runs after the warm-up, print JSON {ms, peak}. */
async function child(file: string, fetchGrads: boolean): Promise<void> {
  const { params, feeds } = setup();
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
async function pairs(fwdFile: string, gradFile: string): Promise<void> {
  const { params, feeds } = setup();
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
  const { model, params, nParams } = setup();
  const t0 = performance.now();
  const grad = await differentiate(model, { loss: 'loss', wrt: params });
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
    const f = inChild<Timing>('--child', fwdFile, '0');
    const b = inChild<Timing>('--child', gradFile, '1');
    const { ratios } = inChild<{ ratios: number[] }>('--pairs', fwdFile, gradFile);
    const sorted = [...ratios].sort((x, y) => x - y);
    const mb = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
    console.log(`onnx autodiff bench: UNet ${(nParams / 1e6).toFixed(2)} M params, self+cross-attention, ${SIZE}x${SIZE}, batch ${BATCH}, CPU (${threads ?? os.availableParallelism()} threads, no spinning), median and best of ${REPEAT} after ${WARMUP} warm-up runs`);
    console.log(`  graph              ${model.graph!.node!.length} forward + ${grad.graph!.node!.length - model.graph!.node!.length} backward nodes, built in ${(buildMs / 1000).toFixed(1)} s (incl. shape probe)`);
    console.log(`  forward            ${f.ms.toFixed(0)} ms wall, ${f.cpu.toFixed(0)} ms CPU   (peak RSS ${mb(f.peak)})`);
    console.log(`  forward+backward   ${b.ms.toFixed(0)} ms wall, ${b.cpu.toFixed(0)} ms CPU   (peak RSS ${mb(b.peak)})`);
    console.log(`  forward (best)     ${f.best.toFixed(0)} ms wall;  forward+backward (best) ${b.best.toFixed(0)} ms wall`);
    console.log(`  ratio              ${(b.ms / f.ms).toFixed(2)} wall, ${(b.cpu / f.cpu).toFixed(2)} CPU, ${(b.best / f.best).toFixed(2)} best wall   (target <= 3.5)`);
    console.log(`  ratio, alternated  median ${median(ratios).toFixed(2)} of ${sorted.map((r) => r.toFixed(2)).join(' ')}   (forward and forward+backward run in turn in one process)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const k = process.argv.indexOf('--child');
  const pk = process.argv.indexOf('--pairs');
  if (k >= 0) await child(process.argv[k + 1], process.argv[k + 2] === '1');
  else if (pk >= 0) await pairs(process.argv[pk + 1], process.argv[pk + 2]);
  else await run();
}
