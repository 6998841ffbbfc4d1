// Symmetric eigen-decomposition A = U·diag(λ)·Uᵀ in float64: Householder tridiagonalisation,
// tridiagonal QL + inverse iteration, then the reflectors applied to the tridiagonal
// eigenvectors in blocks of 64 (compact WY form, I − V·T·Vᵀ) so the O(n³) part runs as Gemm.
import { gemm } from './gemm.ts';
import { tridiagonalize } from './tridiagonal.ts';
import { tridiagonalEigenvalues, tridiagonalEigenvectors } from './tridiagonal-eigen.ts';

export interface SymmetricEigen {
  /** Ascending. */
  values: Float64Array;
  /** Row-major n×n; column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

const BLOCK = 64;

/** `a` is the full symmetric n×n row-major matrix (full symmetric; it is consumed). */
export async function symmetricEigen(a: Float64Array, n: number): Promise<SymmetricEigen> {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} values, got ${a.length}`);
  const tri = await tridiagonalize(a, n);
  const values = tridiagonalEigenvalues(tri.d, tri.e);
  let Z = tridiagonalEigenvectors(tri.d, tri.e, values);
  const nRefl = Math.max(n - 2, 0);
  // Q·Z = H₀(H₁(…(H_{n−3}·Z))): apply blocks last to first.
  const firstBlocks: number[] = [];
  for (let j0 = 0; j0 < nRefl; j0 += BLOCK) firstBlocks.push(j0);
  for (let bi = firstBlocks.length - 1; bi >= 0; bi--) {
    const j0 = firstBlocks[bi];
    const nb = Math.min(BLOCK, nRefl - j0);
    Z = await applyBlock(tri.reflectors, tri.tau, n, j0, nb, Z);
  }
  return { values, vectors: Z };
}

/** Z ← (H_{j0}·…·H_{j0+nb−1})·Z using rows j0+1.. only (the reflectors are zero above). */
async function applyBlock(
  R: Float64Array,
  tau: Float64Array,
  n: number,
  j0: number,
  nb: number,
  Z: Float64Array,
): Promise<Float64Array> {
  const r0 = j0 + 1;
  const rows = n - r0;
  // V: rows×nb, column c = reflector j0+c restricted to rows r0..n−1.
  const V = new Float64Array(rows * nb);
  for (let c = 0; c < nb; c++) {
    const k = j0 + c;
    V[(k + 1 - r0) * nb + c] = 1;
    for (let i = k + 2; i < n; i++) V[(i - r0) * nb + c] = R[k * n + i];
  }
  // T (nb×nb upper): T[c][c] = τ_c, T[0:c, c] = −τ_c·T[0:c,0:c]·(V[:,0:c]ᵀ·v_c).
  const T = new Float64Array(nb * nb);
  const w = new Float64Array(nb);
  for (let c = 0; c < nb; c++) {
    const t = tau[j0 + c];
    T[c * nb + c] = t;
    if (c === 0 || t === 0) continue;
    w.fill(0, 0, c);
    for (let i = c; i < rows; i++) {
      const vc = V[i * nb + c];
      if (vc === 0) continue;
      const o = i * nb;
      for (let q = 0; q < c; q++) w[q] += V[o + q] * vc;
    }
    for (let q = 0; q < c; q++) {
      let s = 0;
      for (let s2 = q; s2 < c; s2++) s += T[q * nb + s2] * w[s2];
      T[q * nb + c] = -t * s;
    }
  }
  const Zs = Z.slice(r0 * n);
  const X = await gemm({ A: V, B: Zs, m: nb, k: rows, n, transA: true }); // Vᵀ·Z
  const Y = new Float64Array(nb * n); // T·X
  for (let q = 0; q < nb; q++) {
    const o = q * n;
    for (let s = q; s < nb; s++) {
      const tq = T[q * nb + s];
      if (tq === 0) continue;
      const xo = s * n;
      for (let j = 0; j < n; j++) Y[o + j] += tq * X[xo + j];
    }
  }
  const updated = await gemm({ A: V, B: Y, m: rows, k: nb, n, C: Zs, alpha: -1, beta: 1 });
  Z.set(updated, r0 * n);
  return Z;
}
