// SVD of SD 1.5's UNet weights: time per distinct weight shape (random matrices of the real
// shapes), the UNet total (every layer through the worker pool, as SVD Decompose runs them;
// SVD_BENCH_FULL=0 skips it and leaves only the per-shape time × count estimate), accuracy,
// cache save/load, the ratio against ml-matrix on the same matrices, and the size of a shift
// file for SD 1.5 (+ CLIP ViT-L/14 text encoder).
// `npx tsx bench/svd.ts` or `npm run bench -- svd`.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gemm, svd, SvdPool, type SvdResult } from '../server/linalg/index.ts';
import { randomMatrix } from '../server/linalg/matrices.testing.ts';
import { SvdCache } from '../server/spectral/svd-cache.ts';
import { clipTextLayers, deltaLength, sd15UnetLayers, type LayerSpec } from '../server/spectral/sd15-layers.ts';
import { encodeShiftFile } from '../server/spectral/shift-file.ts';
import { zeroShifts } from '../server/spectral/shifts.ts';

/** ml-matrix runs are given up (and extrapolated) beyond this. */
const ML_BOUND_S = Number(process.env.SVD_BENCH_ML_BOUND_S ?? 60);

interface Shape {
  m: number;
  n: number;
  count: number;
}

function distinctShapes(layers: LayerSpec[]): Shape[] {
  const map = new Map<string, Shape>();
  for (const l of layers) {
    if (!l.matrix) continue;
    const [m, n] = l.matrix;
    const key = `${m}x${n}`;
    const s = map.get(key) ?? { m, n, count: 0 };
    s.count++;
    map.set(key, s);
  }
  return [...map.values()].sort((a, b) => cost(a) - cost(b));
}

/** Leading-order flops model: min²·max. */
const cost = (s: { m: number; n: number }) => Math.min(s.m, s.n) ** 2 * Math.max(s.m, s.n);
const sec = (ms: number) => (ms / 1000).toFixed(2);

/** Reconstruction and orthonormality through Gemm (the JS check is too slow for 1280×23040). */
async function accuracy(W: Float32Array, m: number, n: number, r: SvdResult) {
  const k = r.k;
  const U = Float64Array.from(r.U);
  const V = Float64Array.from(r.V);
  const US = U.slice();
  for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) US[i * k + q] *= r.S[q];
  const R = await gemm({ A: US, B: V, m, k, n, transB: true });
  let num = 0;
  let den = 0;
  for (let i = 0; i < R.length; i++) {
    num += (R[i] - W[i]) ** 2;
    den += W[i] ** 2;
  }
  const ortho = async (A: Float64Array, rows: number) => {
    const G = await gemm({ A, B: A, m: k, k: rows, n: k, transA: true });
    let worst = 0;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) worst = Math.max(worst, Math.abs(G[a * k + b] - (a === b ? 1 : 0)));
    return worst;
  };
  return { rec: Math.sqrt(num / den), oU: await ortho(U, m), oV: await ortho(V, n) };
}

/** ml-matrix's SVD in a worker thread so a run past the bound can be abandoned. */
function mlMatrixSeconds(W: Float32Array, m: number, n: number, boundS: number): Promise<number | null> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Matrix, SingularValueDecomposition } = require(${JSON.stringify(require_resolve('ml-matrix'))});
    const { W, m, n } = workerData;
    const A = new Matrix(m, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) A.set(i, j, W[i * n + j]);
    const t = performance.now();
    new SingularValueDecomposition(A, { autoTranspose: true });
    parentPort.postMessage((performance.now() - t) / 1000);`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { W, m, n } });
    const timer = setTimeout(() => {
      void w.terminate();
      resolve(null);
    }, boundS * 1000);
    w.once('message', (s: number) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(s);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const require_resolve = (id: string) => createRequire(import.meta.url).resolve(id);

function shiftFileFigures(name: string, layers: LayerSpec[]) {
  const shifts = zeroShifts('sd15', layers.map((l) => [l.name, deltaLength(l)] as [string, number]), {
    svdiff_training: JSON.stringify({ steps: 500, lr: 1e-3, lr_1d: 1e-6, prior_weight: 1 }),
  });
  let params = 0;
  for (const d of shifts.deltas.values()) params += d.length;
  const bytes = encodeShiftFile(shifts).length;
  console.log(`${name}: ${layers.filter((l) => l.matrix).length} matrices + ${layers.filter((l) => !l.matrix).length} norm scales, ${params} δ parameters, shift file ${(bytes / 1e6).toFixed(3)} MB (${bytes} bytes)`);
  return { params, bytes };
}

export async function run(): Promise<void> {
  const layers = sd15UnetLayers();
  const shapes = distinctShapes(layers);
  const nMat = shapes.reduce((a, s) => a + s.count, 0);
  console.log(`SD 1.5 UNet: ${nMat} 2-D weights (convs reshaped to out × in·kh·kw) in ${shapes.length} distinct shapes; load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')} on a ${process.env.SVD_BENCH_CORES ?? 2}-core machine`);
  const cacheDir = await mkdtemp(join(tmpdir(), 'svd-bench-cache-'));
  const cache = new SvdCache(cacheDir);
  let total = 0;
  let totalCpu = 0;
  let totalLoad = 0;
  let worst = { rec: 0, oU: 0, oV: 0 };
  const ours = new Map<string, number>();
  console.log('shape (m×n) ×count | svd s | cpu s | ×count s | cache save s | cache load s | recon | max|UᵀU−I| | max|VᵀV−I|');
  for (const s of shapes) {
    const W = randomMatrix(s.m, s.n, s.m * 7 + s.n);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await svd(W, s.m, s.n);
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000; // all threads of this process (ORT's pool included)
    totalCpu += cpu * s.count;
    const acc = await accuracy(W, s.m, s.n, r);
    worst = { rec: Math.max(worst.rec, acc.rec), oU: Math.max(worst.oU, acc.oU), oV: Math.max(worst.oV, acc.oV) };
    const layer = `bench.${s.m}x${s.n}`;
    const t1 = performance.now();
    await cache.put(layer, { rows: s.m, cols: s.n, ...r });
    const tSave = performance.now() - t1;
    const t2 = performance.now();
    const back = await cache.get(layer, s.m, s.n);
    const tLoad = performance.now() - t2;
    if (!back) throw new Error(`cache miss for ${layer}`);
    await rm(cache.pathFor(layer)); // keep the temp disk use to one file at a time
    ours.set(`${s.m}x${s.n}`, t / 1000);
    total += t * s.count;
    totalLoad += tLoad * s.count;
    console.log(
      `${s.m}×${s.n} ×${s.count} | ${sec(t)} | ${sec(cpu)} | ${sec(t * s.count)} | ${sec(tSave)} | ${sec(tLoad)} | ${acc.rec.toExponential(1)} | ${acc.oU.toExponential(1)} | ${acc.oV.toExponential(1)}`,
    );
  }
  await rm(cacheDir, { recursive: true, force: true });
  console.log(`UNet SVD estimate (each distinct shape timed once × its count, one at a time, ORT on all cores): ${sec(total)} s wall; CPU time ${sec(totalCpu)} s (÷2 cores = ${sec(totalCpu / 2)} s); load average now ${loadavg()[0].toFixed(1)}`);
  console.log(`UNet cache load total (same method): ${sec(totalLoad)} s → ${(total / Math.max(totalLoad, 1)).toFixed(0)}× faster than recomputing`);
  console.log(`worst accuracy over all shapes: reconstruction ${worst.rec.toExponential(2)}, U ${worst.oU.toExponential(2)}, V ${worst.oV.toExponential(2)} (bar 1e-6)`);

  // The headline: what SVD Decompose does (SvdPool, one single-threaded worker per core, so
  // the JS parts of one layer overlap the Gemms of another).
  if (process.env.SVD_BENCH_FULL !== '0') {
    const pool = new SvdPool(Number(process.env.SVD_BENCH_CORES ?? 2));
    const t0 = performance.now();
    await Promise.all(
      layers
        .filter((l) => l.matrix)
        .sort((a, b) => cost({ m: b.matrix![0], n: b.matrix![1] }) - cost({ m: a.matrix![0], n: a.matrix![1] }))
        .map((l) => pool.svd(randomMatrix(l.matrix![0], l.matrix![1], 1), l.matrix![0], l.matrix![1])),
    );
    console.log(`UNet SVD total, all ${nMat} layers through SvdPool (as SVD Decompose runs them): ${sec(performance.now() - t0)} s wall (target ≤ 300 s)`);
    await pool.close();
  }

  // ml-matrix on the same matrices, cheapest first, until one would pass the bound.
  console.log(`ml-matrix SingularValueDecomposition (autoTranspose) on the same matrices, bound ${ML_BOUND_S} s per shape:`);
  let rate = 0; // ml-matrix seconds per unit of cost, from the largest shape it finished
  let mlMeasured = 0;
  let mlExtrapolated = 0;
  let oursOnMeasured = 0;
  let stopped = false;
  for (const s of shapes) {
    const key = `${s.m}x${s.n}`;
    let t: number | null = null;
    if (!stopped && !(rate > 0 && rate * cost(s) > ML_BOUND_S)) {
      t = await mlMatrixSeconds(randomMatrix(s.m, s.n, s.m * 7 + s.n), s.m, s.n, ML_BOUND_S);
    }
    if (t === null) {
      stopped = true;
      const est = rate * cost(s);
      mlExtrapolated += est * s.count;
      console.log(`  ${s.m}×${s.n}: not run (would take ~${est.toFixed(0)} s by min²·max scaling) → extrapolated`);
      continue;
    }
    rate = t / cost(s);
    mlMeasured += t * s.count;
    oursOnMeasured += ours.get(key)! * s.count;
    console.log(`  ${s.m}×${s.n}: ml-matrix ${t.toFixed(2)} s vs ours ${ours.get(key)!.toFixed(2)} s → ${(t / ours.get(key)!).toFixed(1)}×`);
  }
  console.log(
    `ml-matrix on the shapes it finished: ${mlMeasured.toFixed(0)} s × counts vs ours ${oursOnMeasured.toFixed(0)} s (${(mlMeasured / oursOnMeasured).toFixed(1)}×); whole UNet extrapolated: ${(mlMeasured + mlExtrapolated).toFixed(0)} s vs ours ${sec(total)} s (${((mlMeasured + mlExtrapolated) / (total / 1000)).toFixed(0)}×)`,
  );

  let cacheBytes = 0;
  let weightBytes = 0;
  for (const l of layers) {
    if (!l.matrix) continue;
    const [m, n] = l.matrix;
    const k = Math.min(m, n);
    cacheBytes += (m * k + k + n * k) * 4;
    weightBytes += m * n * 4;
  }
  console.log(`SVD cache on disk for the whole UNet (U, S, V as F32): ${(cacheBytes / 1e9).toFixed(2)} GB (the 2-D weights themselves: ${(weightBytes / 1e9).toFixed(2)} GB)`);
  const unet = shiftFileFigures('SD 1.5 UNet shifts', layers);
  const clip = shiftFileFigures('CLIP ViT-L/14 text encoder shifts (incl. token/position embeddings)', clipTextLayers());
  shiftFileFigures('CLIP ViT-L/14 text encoder shifts (without embeddings)', clipTextLayers({ embeddings: false }));
  const both = shiftFileFigures('UNet + text encoder in one file', [...layers, ...clipTextLayers()]);
  console.log(`(UNet ${unet.params} + text encoder ${clip.params} = ${both.params} parameters)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
