// Fused attention backward, kept against recomputed probability maps (differentiate's
// `attentionMaps`, attention 'auto' as Trainer uses on CPU): step time (one forward+backward ORT run) and the peak RSS of a process that
// runs the gradient session, on CPU. Two graphs:
// - unet: the autodiff bench's UNet (bench/onnx.ts: 1.67 M params, 32×32, batch 32, 1024-token
//   self-attention with 4 heads);
// - sd: a stack of SD 1.5 first-level self-attention blocks (x·Wq, x·Wk, x·Wv, 8 heads of 40,
//   torch's q·√s / kᵀ·√s form, ·Wo, residual), 4096 tokens, batch 2: one map is 8×4096² float32
//   per item, 1 GiB per block at batch 2.
// Each configuration runs in its own child process (its peak RSS is its own), keep and recompute
// alternated over ROUNDS rounds so that a slow spell of a shared machine hits both.
// Run alone with `npx tsx bench/attention-maps.ts [unet|sd]`; `npm run bench` calls run().
// Env: BENCH_REPEAT (timed runs per child, default 3), BENCH_ROUNDS (default 2), BENCH_THREADS,
// BENCH_SD_BLOCKS (default 3), BENCH_BATCH (unet batch, default 32).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BENCH_UNET, buildUNet } from '../server/onnx/unet.testing.ts';
import { addMseLoss, createSession, differentiate, GraphBuilder, liftParameters, loadModel, normal, numel, ort, probeShapes, rng, saveModel, type ModelProto } from '../server/onnx/index.ts';
import { median } from './stats.ts';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const threads = Number(process.env.BENCH_THREADS ?? 0) || undefined;
const WARMUP = 2; // ORT plans its memory pattern on the first run and allocates it on the second
const MAPS = ['keep', 'recompute'] as const;

interface Case { model: ModelProto; wrt: string[]; feeds: Record<string, ort.Tensor>; describe: string }

function randn(rand: () => number, dims: number[]) {
  return new ort.Tensor('float32', Float32Array.from({ length: numel(dims) }, () => normal(rand)), dims);
}

function unetCase(): Case {
  const batch = Number(process.env.BENCH_BATCH ?? 32), size = 32, seq = 16;
  const cfg = { ...BENCH_UNET, batch, size, seqLen: seq };
  const { model: unet, params } = buildUNet(cfg);
  const { model, params: values } = liftParameters(addMseLoss(unet, { output: 'out_sample', target: 'target' }), params);
  const rand = rng(1);
  const feeds: Record<string, ort.Tensor> = {
    sample: randn(rand, [batch, 4, size, size]), target: randn(rand, [batch, 4, size, size]), encoder_hidden_states: randn(rand, [batch, seq, cfg.contextDim]),
    timestep: new ort.Tensor('float32', Float32Array.from({ length: batch }, (_, i) => (i * 31) % 1000), [batch]),
  };
  for (const p of values) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  return { model, wrt: params, feeds, describe: `bench UNet (bench/onnx.ts), 32x32, batch ${batch}` };
}

const SD = { batch: 2, tokens: 4096, heads: 8, headDim: 40 };
function sdCase(): Case {
  const blocks = Number(process.env.BENCH_SD_BLOCKS ?? 3);
  const { batch, tokens, heads, headDim } = SD, ch = heads * headDim;
  const b = new GraphBuilder({ opset: 17 });
  const rand = rng(2);
  const feeds: Record<string, ort.Tensor> = { x: randn(rand, [batch, tokens, ch]) };
  b.input('x', 'float32', [batch, tokens, ch]);
  const wrt: string[] = [];
  const weight = (name: string) => {
    b.input(name, 'float32', [ch, ch]);
    const t = randn(rand, [ch, ch]);
    (t.data as Float32Array).forEach((v, i, a) => { a[i] = v / Math.sqrt(ch); });
    feeds[name] = t;
    wrt.push(name);
    return name;
  };
  const heads4 = b.ints([batch, tokens, heads, headDim]), flat3 = b.ints([batch, tokens, ch]);
  const split = (t: string) => b.node('Transpose', [b.node('Reshape', [t, heads4])], { perm: [0, 2, 1, 3] });
  const s = b.constant([1 / Math.sqrt(Math.sqrt(headDim))], [], 'float32');
  let x = 'x';
  for (let i = 0; i < blocks; i++) {
    const [q, k, v] = ['q', 'k', 'v'].map((n) => split(b.node('MatMul', [x, weight(`b${i}.${n}`)])));
    const kt = b.node('Mul', [b.node('Transpose', [k], { perm: [0, 1, 3, 2] }), s]);
    const probs = b.node('Softmax', [b.node('MatMul', [b.node('Mul', [q, s]), kt])], { axis: -1 });
    const o = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), flat3]);
    x = b.node('Add', [x, b.node('MatMul', [o, weight(`b${i}.o`)])]);
  }
  b.node('ReduceMean', [b.node('Mul', [x, x])], { keepdims: 0 }, { output: 'loss' });
  b.output('loss', 'float32', []);
  return { model: b.toModel(), wrt, feeds, describe: `${blocks} SD 1.5 level-1 self-attention blocks: ${tokens} tokens, ${heads} heads of ${headDim}, batch ${batch} (one map ${(batch * heads * tokens * tokens * 4 / 2 ** 30).toFixed(2)} GiB per block)` };
}

const cases = { unet: unetCase, sd: sdCase };
type CaseName = keyof typeof cases;

/** Child: open the gradient model, time REPEAT runs after the warm-up, print JSON {ts, peak}. */
async function child(name: CaseName, file: string): Promise<void> {
  const { wrt, feeds } = cases[name]();
  const s = await createSession(loadModel(file), { cache: false, threads, spinning: false });
  const fetches = ['loss', ...wrt.map((p) => `grad/${p}`)];
  for (let i = 0; i < WARMUP; i++) await s.run(feeds, fetches);
  const ts: number[] = [], cpu: number[] = [];
  let loss = 0;
  for (let i = 0; i < REPEAT; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await s.run(feeds, fetches);
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    loss = (r.loss.data as Float32Array)[0];
  }
  console.log(JSON.stringify({ ts, cpu, loss, peak: process.resourceUsage().maxRSS * 1024 }));
}

async function benchCase(name: CaseName): Promise<void> {
  const { model, wrt, describe } = cases[name]();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-attmaps-'));
  try {
    const files: Record<string, string> = {};
    const nodes: Record<string, string> = {};
    const shapes = await probeShapes(model, {}, { segmentNodes: 8 }); // small segments: the probe holds what a segment makes
    for (const maps of MAPS) {
      const t0 = performance.now();
      const grad = await differentiate(model, { loss: 'loss', wrt, shapes, attentionMaps: maps });
      const probs = new Set(model.graph!.node!.filter((n) => n.opType === 'Softmax').map((n) => n.output![0]));
      const readers = grad.graph!.node!.slice(model.graph!.node!.length).filter((n) => (n.input ?? []).some((i) => probs.has(i))).length;
      nodes[maps] = `${grad.graph!.node!.length - model.graph!.node!.length} backward nodes (${grad.graph!.node!.filter((n) => n.opType === 'Scan').length} Scans, ${readers} reading a forward softmax), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      files[maps] = path.join(dir, `${maps}.onnx`);
      saveModel(grad, files[maps]);
    }
    const self = fileURLToPath(import.meta.url);
    const inChild = (file: string) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', name, file],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 }).trim().split('\n').pop()!) as { ts: number[]; cpu: number[]; loss: number; peak: number };
    const res: Record<string, { ts: number[]; cpu: number[]; peaks: number[]; loss: number[] }> = { keep: { ts: [], cpu: [], peaks: [], loss: [] }, recompute: { ts: [], cpu: [], peaks: [], loss: [] } };
    const load0 = os.loadavg()[0];
    for (let r = 0; r < ROUNDS; r++) {
      for (const maps of r % 2 === 0 ? MAPS : [...MAPS].reverse()) {
        const c = inChild(files[maps]);
        res[maps].ts.push(...c.ts); res[maps].cpu.push(...c.cpu); res[maps].peaks.push(c.peak); res[maps].loss.push(c.loss);
        console.log(`  [round ${r + 1}] ${maps.padEnd(9)} ${c.ts.map((t) => t.toFixed(0)).join(' ')} ms wall, ${c.cpu.map((t) => t.toFixed(0)).join(' ')} ms CPU, peak RSS ${(c.peak / 2 ** 20).toFixed(0)} MiB`);
      }
    }
    const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
    console.log(`attention maps, ${describe}; CPU (${threads ?? os.availableParallelism()} threads, no spinning), ${ROUNDS} child processes per configuration alternated, ${REPEAT} timed runs each after ${WARMUP} warm-up; load average ${load0.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`);
    for (const maps of MAPS) {
      const x = res[maps];
      console.log(`  ${maps.padEnd(9)} step min ${Math.min(...x.ts).toFixed(0)} ms, median ${median(x.ts).toFixed(0)} ms wall (of ${x.ts.length}), CPU min ${Math.min(...x.cpu).toFixed(0)} median ${median(x.cpu).toFixed(0)} ms;  peak RSS ${x.peaks.map(mib).join(' / ')};  ${nodes[maps]}`);
    }
    const [k, rc] = [res.keep, res.recompute];
    console.log(`  recompute/keep: step min ${(Math.min(...rc.ts) / Math.min(...k.ts)).toFixed(3)}, median ${(median(rc.ts) / median(k.ts)).toFixed(3)} wall, CPU min ${(Math.min(...rc.cpu) / Math.min(...k.cpu)).toFixed(3)} median ${(median(rc.cpu) / median(k.cpu)).toFixed(3)}; peak RSS ${mib(Math.min(...rc.peaks) - Math.min(...k.peaks))} (min against min); loss equal: ${k.loss[0] === rc.loss[0]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const which = process.argv.slice(2).filter((a): a is CaseName => a in cases);
  for (const name of which.length ? which : (Object.keys(cases) as CaseName[])) await benchCase(name);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const k = process.argv.indexOf('--child');
  if (k >= 0) await child(process.argv[k + 1] as CaseName, process.argv[k + 2]);
  else await run();
}
