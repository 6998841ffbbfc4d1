// Householder reduction of a symmetric matrix to tridiagonal form: A = Q·T·Qᵀ with
// Q = H₀·H₁·…·H_{n−3}, Hₖ = I − τₖ·vₖ·vₖᵀ, vₖ zero above index k+1 and vₖ[k+1] = 1.
// Blocked as LAPACK's dsytrd does: the trailing matrix is kept contiguous, each column's
// matrix–vector product is one Gemm (n = 1) on it, and after each panel of 32 columns the
// rank-64 update of what remains is one Gemm too.
import { gemm } from './gemm.ts';

export interface Tridiagonal {
  n: number;
  /** Diagonal of T (n). */
  d: Float64Array;
  /** Off-diagonal of T (n−1): e[i] couples i and i+1. */
  e: Float64Array;
  /** Reflector k is row k of this n×n row-major array (entries k+1..n−1; vₖ[k+1] = 1 is stored too). */
  reflectors: Float64Array;
  tau: Float64Array;
}

const PANEL = 32;

/** Reduces the full symmetric n×n row-major matrix `a` (it is consumed). */
export async function tridiagonalize(a: Float64Array, n: number): Promise<Tridiagonal> {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const tau = new Float64Array(Math.max(n - 1, 0));
  const refl = new Float64Array(n * n);
  const last = n - 2; // reflectors 0..n−3
  let cur = a; // trailing matrix from global index s, R×R contiguous
  let s = 0;
  let R = n;
  while (s < last) {
    const nb = Math.min(PANEL, last - s);
    // Panel reflectors V and the matching W (R×nb, local rows; rows ≤ c stay zero in column c).
    const V = new Float64Array(R * nb);
    const W = new Float64Array(R * nb);
    const v = new Float64Array(R);
    const x = new Float64Array(R);
    for (let c = 0; c < nb; c++) {
      const i = s + c;
      // Column c as of the panel start is row c (symmetry): a contiguous read. Then bring it up
      // to date with this panel's earlier reflectors.
      x.set(cur.subarray(c * R + c, (c + 1) * R), c);
      if (c > 0) {
        const co = c * nb;
        for (let r = c; r < R; r++) {
          let acc = 0;
          const ro = r * nb;
          for (let q = 0; q < c; q++) acc += V[ro + q] * W[co + q] + W[ro + q] * V[co + q];
          x[r] -= acc;
        }
      }
      d[i] = x[c];
      const off = c + 1;
      const alpha = x[off];
      let xnorm2 = 0;
      for (let r = off + 1; r < R; r++) xnorm2 += x[r] * x[r];
      v.fill(0);
      if (xnorm2 === 0) {
        // Already reduced: H = I (τ = 0).
        tau[i] = 0;
        e[i] = alpha;
        refl[i * n + i + 1] = 1;
        V[off * nb + c] = 1;
        continue;
      }
      const beta = -(alpha >= 0 ? 1 : -1) * Math.sqrt(alpha * alpha + xnorm2);
      const t = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      tau[i] = t;
      e[i] = beta;
      v[off] = 1;
      for (let r = off + 1; r < R; r++) v[r] = x[r] * scale;
      for (let r = off; r < R; r++) {
        V[r * nb + c] = v[r];
        refl[i * n + s + r] = v[r];
      }
      // p = A22·v with A22 as of the panel start: rows off.. of `cur`, full width (v is 0 before off).
      const rows = R - off;
      const p = await gemm({ A: cur.subarray(off * R), B: v, m: rows, k: R, n: 1 });
      // … minus the panel's pending update: V·(Wᵀv) + W·(Vᵀv).
      if (c > 0) {
        const wv = new Float64Array(c);
        const vv = new Float64Array(c);
        for (let r = off; r < R; r++) {
          const ro = r * nb;
          const vr = v[r];
          for (let q = 0; q < c; q++) {
            wv[q] += W[ro + q] * vr;
            vv[q] += V[ro + q] * vr;
          }
        }
        for (let r = off; r < R; r++) {
          const ro = r * nb;
          let acc = 0;
          for (let q = 0; q < c; q++) acc += V[ro + q] * wv[q] + W[ro + q] * vv[q];
          p[r - off] -= acc;
        }
      }
      let pv = 0;
      for (let r = off; r < R; r++) {
        p[r - off] *= t;
        pv += p[r - off] * v[r];
      }
      const h = 0.5 * t * pv;
      for (let r = off; r < R; r++) W[r * nb + c] = p[r - off] - h * v[r];
    }
    // What remains, A[nb:, nb:] −= V·Wᵀ + W·Vᵀ, as one Gemm on a contiguous copy.
    const R2 = R - nb;
    const block = new Float64Array(R2 * R2);
    for (let r = 0; r < R2; r++) block.set(cur.subarray((nb + r) * R + nb, (nb + r + 1) * R), r * R2);
    const L = new Float64Array(R2 * 2 * nb);
    const Rm = new Float64Array(R2 * 2 * nb);
    for (let r = 0; r < R2; r++) {
      const src = (nb + r) * nb;
      const dst = r * 2 * nb;
      for (let q = 0; q < nb; q++) {
        L[dst + q] = V[src + q];
        L[dst + nb + q] = W[src + q];
        Rm[dst + q] = W[src + q];
        Rm[dst + nb + q] = V[src + q];
      }
    }
    cur = await gemm({ A: L, B: Rm, m: R2, k: 2 * nb, n: R2, transB: true, C: block, alpha: -1, beta: 1 });
    s += nb;
    R = R2;
  }
  // The last 2×2 (or smaller) block is already tridiagonal.
  if (n >= 2) {
    d[n - 2] = cur[0];
    e[n - 2] = cur[R];
    d[n - 1] = cur[R + 1];
  } else if (n === 1) {
    d[0] = cur[0];
  }
  return { n, d, e, reflectors: refl, tau };
}
