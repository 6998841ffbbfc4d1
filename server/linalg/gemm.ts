// Dense float64 matrix products, row-major. Large products go to ONNX Runtime's CPU Gemm
// (MLAS DGEMM: ~50× a JS loop on this machine); small ones stay in JS where the call
// overhead would dominate.
import ort from 'onnxruntime-node';
import { gemmModelBytes, type GemmSpec } from './onnx-bytes.ts';

export interface GemmArgs {
  A: Float64Array;
  B: Float64Array;
  /** op(A) is m×k, op(B) is k×n. */
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  /** Optional C (m×n): result is alpha·op(A)op(B) + beta·C. */
  C?: Float64Array;
  alpha?: 1 | -1;
  beta?: 1 | 0;
}

let threads = 0; // 0 = ORT default (all cores)
/** Sets the ORT intra-op thread count for sessions created afterwards (worker pools use 1). */
export function setGemmThreads(n: number): void {
  threads = n;
  sessions.clear();
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();
function session(spec: GemmSpec): Promise<ort.InferenceSession> {
  const key = JSON.stringify(spec);
  let s = sessions.get(key);
  if (!s) {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      // Many short runs: idle pool threads must sleep, not spin (spinning burns the other core).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    if (threads > 0) opts.intraOpNumThreads = threads;
    s = ort.InferenceSession.create(gemmModelBytes(spec), opts);
    sessions.set(key, s);
  }
  return s;
}

/** Below this many multiply-adds the JS loop wins over a session call. */
const ORT_MIN_WORK = 1 << 18;
/**
 * Matrix–vector products go to ORT from 128×128: a call costs ~0.04 ms, while the JS loop runs
 * at ~0.4 G multiply-adds/s (500×500: 0.65 ms in JS, 0.13 ms in ORT). The tridiagonal
 * reduction makes one such call per column, down to the last rows.
 */
const ORT_MIN_GEMV = 128 * 128;

export async function gemm(a: GemmArgs): Promise<Float64Array> {
  const { m, k, n } = a;
  const transA = a.transA ?? false;
  const transB = a.transB ?? false;
  const alpha = a.alpha ?? 1;
  const beta = a.C ? (a.beta ?? 1) : 0;
  if (a.A.length !== m * k || a.B.length !== k * n || (a.C && a.C.length !== m * n)) {
    throw new Error(`gemm: operand sizes do not match ${m}×${k} · ${k}×${n}`);
  }
  if (m === 0 || n === 0) return new Float64Array(m * n);
  if (k === 0) return a.C && beta ? a.C.map((v) => v) : new Float64Array(m * n);
  if (n === 1 ? m * k < ORT_MIN_GEMV : m * k * n < ORT_MIN_WORK) return gemmJs({ ...a, transA, transB, alpha, beta });
  const spec: GemmSpec = { transA, transB, withC: !!a.C, alpha, beta };
  const s = await session(spec);
  const feeds: Record<string, ort.Tensor> = {
    A: new ort.Tensor('float64', a.A, transA ? [k, m] : [m, k]),
    B: new ort.Tensor('float64', a.B, transB ? [n, k] : [k, n]),
  };
  if (a.C) feeds.C = new ort.Tensor('float64', a.C, [m, n]);
  const out = await s.run(feeds);
  const y = out.Y.data as Float64Array;
  return y;
}

/** Plain JS product (small sizes and the reference in tests). */
export function gemmJs(a: GemmArgs): Float64Array {
  const { A, B, m, k, n } = a;
  const tA = a.transA ?? false;
  const tB = a.transB ?? false;
  const alpha = a.alpha ?? 1;
  const out = new Float64Array(m * n);
  if (a.C && (a.beta ?? 1) !== 0) out.set(a.C);
  // op(A)'s row i is read from `src` at `base` (A itself, or a copied column of Aᵀ).
  const row = tA ? new Float64Array(k) : A;
  for (let i = 0; i < m; i++) {
    let base = i * k;
    if (tA) {
      for (let p = 0; p < k; p++) row[p] = A[p * m + i];
      base = 0;
    }
    const o = i * n;
    if (tB || n <= 4) {
      // Dot products (B's rows when transposed; a thin B read with stride n otherwise).
      for (let j = 0; j < n; j++) {
        let s0 = 0;
        let s1 = 0;
        if (tB) {
          const b = j * k;
          let p = 0;
          for (; p + 1 < k; p += 2) {
            s0 += row[base + p] * B[b + p];
            s1 += row[base + p + 1] * B[b + p + 1];
          }
          if (p < k) s0 += row[base + p] * B[b + p];
        } else {
          for (let p = 0; p < k; p++) s0 += row[base + p] * B[p * n + j];
        }
        out[o + j] += alpha * (s0 + s1);
      }
    } else {
      // Row i of the result is a combination of B's rows: contiguous access.
      for (let p = 0; p < k; p++) {
        const r = alpha * row[base + p];
        if (r === 0) continue;
        const b = p * n;
        for (let j = 0; j < n; j++) out[o + j] += r * B[b + j];
      }
    }
  }
  return out;
}
