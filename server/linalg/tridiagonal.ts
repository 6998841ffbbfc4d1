// Householder reduction of a symmetric matrix to tridiagonal form: A = Q·T·Qᵀ with
// Q = H₀·H₁·…·H_{n−3}, Hₖ = I − τₖ·vₖ·vₖᵀ, vₖ zero above index k+1 and vₖ[k+1] = 1.
// Blocked as LAPACK's dsytrd does: within a panel of 32 columns only the matrix–vector
// product runs in JS; the rank-2·32 update of the trailing block is one Gemm.
import { gemm } from './gemm.ts';

export interface Tridiagonal {
  n: number;
  /** Diagonal of T (n). */
  d: Float64Array;
  /** Off-diagonal of T (n−1): e[i] couples i and i+1. */
  e: Float64Array;
  /** Reflector k lives in column k below row k+1 (row-major n×n; vₖ[k+1] = 1 is stored too). */
  reflectors: Float64Array;
  tau: Float64Array;
}

const PANEL = 32;

/** Reduces the full symmetric n×n row-major matrix `a` in place (it becomes `reflectors`). */
export async function tridiagonalize(a: Float64Array, n: number): Promise<Tridiagonal> {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tau = new Float64Array(Math.max(n - 1, 0));
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  const last = n - 2; // reflectors 0..n−3
  for (let k0 = 0; k0 < last; k0 += PANEL) {
    const nb = Math.min(PANEL, last - k0);
    // Panel reflectors V and the matching W (n×nb row-major; rows ≤ k0 stay zero).
    const V = new Float64Array(n * nb);
    const W = new Float64Array(n * nb);
    for (let c = 0; c < nb; c++) {
      const i = k0 + c;
      // Bring column i (rows i..n−1) up to date with this panel's earlier reflectors.
      if (c > 0) {
        for (let r = i; r < n; r++) {
          let s = 0;
          const ro = r * nb;
          const io = i * nb;
          for (let q = 0; q < c; q++) s += V[ro + q] * W[io + q] + W[ro + q] * V[io + q];
          a[r * n + i] -= s;
        }
      }
      d[i] = a[i * n + i];
      const off = i + 1;
      const alpha = a[off * n + i];
      let xnorm2 = 0;
      for (let r = off + 1; r < n; r++) xnorm2 += a[r * n + i] * a[r * n + i];
      if (xnorm2 === 0) {
        // Already reduced: H = I (τ = 0, v = e₁).
        tau[i] = 0;
        e[i] = alpha;
        a[off * n + i] = 1;
        for (let r = off + 1; r < n; r++) a[r * n + i] = 0;
        V[off * nb + c] = 1;
        continue;
      }
      const beta = -(alpha >= 0 ? 1 : -1) * Math.sqrt(alpha * alpha + xnorm2);
      const t = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      tau[i] = t;
      e[i] = beta;
      a[off * n + i] = 1;
      v[off] = 1;
      for (let r = off + 1; r < n; r++) {
        const idx = r * n + i;
        a[idx] *= scale;
        v[r] = a[idx];
      }
      for (let r = off; r < n; r++) V[r * nb + c] = v[r];
      // p = A22·v with A22 as of the panel start (full rows: contiguous dot products).
      for (let r = off; r < n; r++) {
        const base = r * n;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let j = off;
        for (; j + 3 < n; j += 4) {
          s0 += a[base + j] * v[j];
          s1 += a[base + j + 1] * v[j + 1];
          s2 += a[base + j + 2] * v[j + 2];
          s3 += a[base + j + 3] * v[j + 3];
        }
        for (; j < n; j++) s0 += a[base + j] * v[j];
        p[r] = s0 + s1 + s2 + s3;
      }
      // … minus the panel's pending update: V·(Wᵀv) + W·(Vᵀv).
      if (c > 0) {
        const wv = new Float64Array(c);
        const vv = new Float64Array(c);
        for (let r = off; r < n; r++) {
          const ro = r * nb;
          const vr = v[r];
          for (let q = 0; q < c; q++) {
            wv[q] += W[ro + q] * vr;
            vv[q] += V[ro + q] * vr;
          }
        }
        for (let r = off; r < n; r++) {
          const ro = r * nb;
          let s = 0;
          for (let q = 0; q < c; q++) s += V[ro + q] * wv[q] + W[ro + q] * vv[q];
          p[r] -= s;
        }
      }
      let pv = 0;
      for (let r = off; r < n; r++) {
        p[r] *= t;
        pv += p[r] * v[r];
      }
      const h = 0.5 * t * pv;
      for (let r = off; r < n; r++) W[r * nb + c] = p[r] - h * v[r];
    }
    // Trailing block A[s:, s:] −= V·Wᵀ + W·Vᵀ as one Gemm on a contiguous copy.
    const s = k0 + nb;
    const rows = n - s;
    if (rows <= 0) continue;
    const block = new Float64Array(rows * rows);
    for (let r = 0; r < rows; r++) block.set(a.subarray((s + r) * n + s, (s + r) * n + n), r * rows);
    const L = new Float64Array(rows * 2 * nb);
    const Rm = new Float64Array(rows * 2 * nb);
    for (let r = 0; r < rows; r++) {
      const src = (s + r) * nb;
      const dst = r * 2 * nb;
      for (let q = 0; q < nb; q++) {
        L[dst + q] = V[src + q];
        L[dst + nb + q] = W[src + q];
        Rm[dst + q] = W[src + q];
        Rm[dst + nb + q] = V[src + q];
      }
    }
    const updated = await gemm({ A: L, B: Rm, m: rows, k: 2 * nb, n: rows, transB: true, C: block, alpha: -1, beta: 1 });
    for (let r = 0; r < rows; r++) a.set(updated.subarray(r * rows, (r + 1) * rows), (s + r) * n + s);
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + (n - 2)];
    e[n - 2] = a[(n - 1) * n + (n - 2)];
    tau[n - 2] = 0;
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + (n - 1)];
  return { n, d, e, reflectors: a, tau };
}
