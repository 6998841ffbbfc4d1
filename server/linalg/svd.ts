// Thin SVD W = U·diag(S)·Vᵀ of a float32 matrix, computed in float64.
//
// Method (for m ≤ n; a tall matrix is transposed first):
//  1. G = W·Wᵀ (Gemm), G = Q·Λ·Qᵀ (symmetric eigen), B = Wᵀ·Q. Then W = Q·Bᵀ exactly (up to
//     rounding), and B's columns are σⱼ·vⱼ.
//  2. The Gram matrix squares the condition number: columns of B whose norm is far below the
//     largest are not orthogonal enough. Those (σ < τ·σ_max) are projected off the good ones
//     and decomposed again the same way (Gram of the small block only), recursively; each
//     level gains a factor τ of dynamic range. Columns at rounding level are exact zeros
//     and get an orthonormal completion of V.
import { gemm } from './gemm.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

export interface SvdResult {
  /** rows×k row-major. */
  U: Float32Array;
  /** k singular values, descending. */
  S: Float32Array;
  /** cols×k row-major. */
  V: Float32Array;
  k: number;
}

export interface Svd64Result {
  U: Float64Array;
  S: Float64Array;
  V: Float64Array;
  k: number;
}

const EPS = 2.220446049250313e-16;
/** Dynamic range handled per level: the Gram error ε·σ²_max over σᵢσⱼ ≥ τ²·σ²_max stays ≈ 1e-9. */
const TAU = 1e-3;

/** Thin SVD, factors as float32 (what the spectral graph stores). */
export async function svd(matrix: Float32Array | Float64Array, rows: number, cols: number): Promise<SvdResult> {
  const r = await svd64(matrix, rows, cols);
  return { U: Float32Array.from(r.U), S: Float32Array.from(r.S), V: Float32Array.from(r.V), k: r.k };
}

/** Thin SVD with float64 factors. k = min(rows, cols); singular values descending. */
export async function svd64(matrix: Float32Array | Float64Array, rows: number, cols: number): Promise<Svd64Result> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`svd: bad shape ${rows}×${cols}`);
  }
  if (matrix.length !== rows * cols) throw new Error(`svd: expected ${rows * cols} values for ${rows}×${cols}, got ${matrix.length}`);
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i])) throw new Error(`svd: matrix has a non-finite value at index ${i}`);
  }
  if (rows <= cols) return wide(Float64Array.from(matrix), rows, cols);
  // Tall: decompose Wᵀ = U'·S·V'ᵀ, so W = V'·S·U'ᵀ.
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = matrix[i * cols + j];
  const r = await wide(t, cols, rows);
  return { U: r.V, S: r.S, V: r.U, k: r.k };
}

async function wide(W: Float64Array, m: number, n: number): Promise<Svd64Result> {
  let frob2 = 0;
  for (let i = 0; i < W.length; i++) frob2 += W[i] * W[i];
  const k = m;
  if (frob2 === 0) return zeroMatrix(m, n);
  const G = await gram(W, m, n);
  const eig = await symmetricEigen(G, m);
  const Q = reverseColumns(eig.vectors, m, m);
  const B = await gemm({ A: W, B: Q, m: n, k: m, n: m, transA: true }); // n×m
  // Anything at this level is rounding noise of the products above.
  const zeroTol = 8 * EPS * Math.max(m, n) * Math.sqrt(frob2);
  const levels: Level[] = [];
  await refine(B, Q, n, m, m, zeroTol, levels);
  // Order every (level, column) pair by σ, then copy rows in one row-major pass per level.
  const all = levels.flatMap((L, li) => L.picks.map((pk) => ({ li, ...pk })));
  all.sort((a, b) => b.s - a.s);
  const U = new Float64Array(m * k);
  const S = new Float64Array(k);
  const V = new Float64Array(n * k);
  const zeros: number[] = [];
  const dest = levels.map((L) => new Int32Array(L.p).fill(-1));
  all.forEach((c, j) => {
    S[j] = c.s;
    dest[c.li][c.j] = j;
    if (c.s === 0) zeros.push(j);
  });
  levels.forEach((L, li) => {
    const d = dest[li];
    const inv = new Float64Array(L.p);
    for (const pk of L.picks) inv[pk.j] = pk.s > 0 ? 1 / pk.s : 0;
    const cols = L.picks.map((pk) => pk.j);
    for (let i = 0; i < m; i++) for (const j of cols) U[i * k + d[j]] = L.Ub[i * L.p + j];
    for (let i = 0; i < n; i++) for (const j of cols) V[i * k + d[j]] = L.Y[i * L.p + j] * inv[j];
  });
  if (zeros.length) completeBasis(V, n, k, zeros);
  return { U, S, V, k };
}

/** One refinement level: Y (n×p), Ub (m×p) and the columns it settles (σ = 0: V to complete). */
interface Level {
  Y: Float64Array;
  Ub: Float64Array;
  p: number;
  picks: { j: number; s: number }[];
}

/**
 * Y (n×p) and Ub (m×p, orthonormal columns) with the matrix's remaining part = Ub·Yᵀ, and
 * Y's columns nearly orthogonal to each other. Settles the columns it can into `out`.
 */
async function refine(Y: Float64Array, Ub: Float64Array, n: number, m: number, p: number, zeroTol: number, out: Level[]) {
  const norms = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) norms[j] += Y[o + j] * Y[o + j];
  }
  let smax = 0;
  for (let j = 0; j < p; j++) {
    norms[j] = Math.sqrt(norms[j]);
    if (norms[j] > smax) smax = norms[j];
  }
  const level: Level = { Y, Ub, p, picks: [] };
  out.push(level);
  if (smax <= zeroTol) {
    for (let j = 0; j < p; j++) level.picks.push({ j, s: 0 });
    return;
  }
  const good: number[] = [];
  const small: number[] = [];
  for (let j = 0; j < p; j++) (norms[j] >= TAU * smax && norms[j] > zeroTol ? good : small).push(j);
  for (const j of good) level.picks.push({ j, s: norms[j] });
  if (small.length === 0) return;
  const q = small.length;
  const g = good.length;
  const Vg = takeColumns(Y, n, p, good);
  for (let i = 0; i < n; i++) for (let c = 0; c < g; c++) Vg[i * g + c] /= norms[good[c]];
  let Ys = takeColumns(Y, n, p, small);
  const Us = takeColumns(Ub, m, p, small);
  // Remove the (rounding-level) components along the good directions.
  const coef = await gemm({ A: Vg, B: Ys, m: g, k: n, n: q, transA: true });
  Ys = await gemm({ A: Vg, B: coef, m: n, k: g, n: q, C: Ys, alpha: -1, beta: 1 });
  const H = await gemm({ A: Ys, B: Ys, m: q, k: n, n: q, transA: true });
  const eig = await symmetricEigen(H, q);
  const R = reverseColumns(eig.vectors, q, q);
  const Y2 = await gemm({ A: Ys, B: R, m: n, k: q, n: q });
  const U2 = await gemm({ A: Us, B: R, m, k: q, n: q });
  await refine(Y2, U2, n, m, q, zeroTol, out);
}

/** W·Wᵀ from the lower block triangle only (row blocks of W are contiguous): ~⅝ of a full Gemm. */
export async function gram(W: Float64Array, m: number, n: number): Promise<Float64Array> {
  const blocks = m >= 256 ? 4 : 1;
  const size = Math.ceil(m / blocks);
  const G = new Float64Array(m * m);
  for (let bi = 0; bi * size < m; bi++) {
    const i0 = bi * size;
    const mi = Math.min(size, m - i0);
    const Wi = W.subarray(i0 * n, (i0 + mi) * n);
    for (let bj = 0; bj <= bi; bj++) {
      const j0 = bj * size;
      const mj = Math.min(size, m - j0);
      const Gij = await gemm({ A: Wi, B: W.subarray(j0 * n, (j0 + mj) * n), m: mi, k: n, n: mj, transB: true });
      for (let r = 0; r < mi; r++) {
        for (let c = 0; c < mj; c++) {
          const g = Gij[r * mj + c];
          G[(i0 + r) * m + j0 + c] = g;
          G[(j0 + c) * m + i0 + r] = g;
        }
      }
    }
  }
  return G;
}

/** Fills columns `cols` of V (n×k) with an orthonormal basis of the complement of the others. */
function completeBasis(V: Float64Array, n: number, k: number, cols: number[]): void {
  const zero = new Set(cols);
  const basis: Float64Array[] = [];
  for (let j = 0; j < k; j++) if (!zero.has(j)) basis.push(column(V, n, k, j));
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 2147483648 - 1;
  };
  for (const j of cols) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 20) throw new Error('svd: could not complete the singular-vector basis');
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = rand();
      // Two passes of Gram–Schmidt: orthogonal to working precision.
      for (let pass = 0; pass < 2; pass++) {
        for (const b of basis) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += b[i] * x[i];
          for (let i = 0; i < n; i++) x[i] -= dot * b[i];
        }
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += x[i] * x[i];
      nrm = Math.sqrt(nrm);
      if (nrm < 1e-3 * Math.sqrt(n / 3)) continue; // random vector nearly inside the span: retry
      for (let i = 0; i < n; i++) x[i] /= nrm;
      basis.push(x);
      for (let i = 0; i < n; i++) V[i * k + j] = x[i];
      break;
    }
  }
}

function zeroMatrix(m: number, n: number): Svd64Result {
  const k = Math.min(m, n);
  const U = new Float64Array(m * k);
  const V = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    U[j * k + j] = 1;
    V[j * k + j] = 1;
  }
  return { U, S: new Float64Array(k), V, k };
}

function column(A: Float64Array, rows: number, cols: number, j: number): Float64Array {
  const c = new Float64Array(rows);
  for (let i = 0; i < rows; i++) c[i] = A[i * cols + j];
  return c;
}

function takeColumns(A: Float64Array, rows: number, cols: number, idx: number[]): Float64Array {
  const q = idx.length;
  const out = new Float64Array(rows * q);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let c = 0; c < q; c++) out[i * q + c] = A[o + idx[c]];
  }
  return out;
}

function reverseColumns(A: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = A[o + cols - 1 - j];
  }
  return out;
}
