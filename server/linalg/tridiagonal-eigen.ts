// Eigen-decomposition of a symmetric tridiagonal matrix: eigenvalues by implicit QL with
// Wilkinson shifts (O(n²)), eigenvectors by inverse iteration (O(n) per vector), with
// modified Gram–Schmidt inside clusters of close eigenvalues so that repeated eigenvalues
// (rank-deficient inputs) still get an orthonormal basis.

const EPS = 2.220446049250313e-16;

/** Eigenvalues of T (d: diagonal, e: off-diagonal), ascending. Inputs are not modified. */
export function tridiagonalEigenvalues(dIn: Float64Array, eIn: Float64Array): Float64Array {
  const n = dIn.length;
  const d = Float64Array.from(dIn);
  const e = new Float64Array(n);
  e.set(eIn.subarray(0, Math.max(n - 1, 0)));
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= EPS * dd) break;
      }
      if (m === l) break;
      if (++iter > 200) throw new Error('tridiagonal QL did not converge');
      // Wilkinson-style shift from the leading 2×2 block.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort();
}

/** Deterministic uniform numbers in [−1, 1) (xorshift32): results do not depend on Math.random. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2147483648 - 1;
  };
}

/**
 * Eigenvectors of T for the given ascending eigenvalues, as the columns of a row-major n×n
 * matrix. `clusterTol` (relative to ‖T‖) decides which neighbours are orthogonalised
 * against each other.
 */
export function tridiagonalEigenvectors(
  d: Float64Array,
  e: Float64Array,
  values: Float64Array,
  clusterTol = 1e-7,
): Float64Array {
  const n = d.length;
  const Z = new Float64Array(n * n);
  if (n === 0) return Z;
  if (n === 1) {
    Z[0] = 1;
    return Z;
  }
  let tnorm = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    if (s > tnorm) tnorm = s;
  }
  if (tnorm === 0) {
    for (let i = 0; i < n; i++) Z[i * n + i] = 1;
    return Z;
  }
  const tiny = EPS * tnorm;
  const sep = clusterTol * tnorm;
  const rand = rng(12345);
  // LU factors of T − λI with partial pivoting (U has two superdiagonals).
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swap = new Uint8Array(n);
  const x = new Float64Array(n);
  const cluster: Float64Array[] = [];
  const Zt = new Float64Array(n * n);
  let prev = -Infinity;
  for (let j = 0; j < n; j++) {
    let lambda = values[j];
    if (j > 0 && lambda - values[j - 1] <= sep) {
      // Nudge exact repeats apart a little so the factorisations differ (as LAPACK's dstein does).
      if (lambda <= prev + 10 * tiny) lambda = prev + 10 * tiny;
    } else {
      cluster.length = 0;
    }
    prev = lambda;
    // Factor.
    for (let i = 0; i < n; i++) {
      a[i] = d[i] - lambda;
      b[i] = i < n - 1 ? e[i] : 0;
      u2[i] = 0;
    }
    for (let k = 0; k < n - 1; k++) {
      const c = e[k];
      if (Math.abs(a[k]) >= Math.abs(c)) {
        swap[k] = 0;
        if (a[k] === 0) a[k] = tiny;
        const l = c / a[k];
        mult[k] = l;
        a[k + 1] -= l * b[k];
      } else {
        swap[k] = 1;
        const l = a[k] / c;
        mult[k] = l;
        const t = a[k + 1];
        a[k] = c;
        a[k + 1] = b[k] - l * t;
        b[k] = t;
        if (k < n - 2) {
          u2[k] = b[k + 1];
          b[k + 1] = -l * b[k + 1];
        }
      }
    }
    for (let k = 0; k < n; k++) if (Math.abs(a[k]) < tiny) a[k] = a[k] < 0 ? -tiny : tiny;
    for (let i = 0; i < n; i++) x[i] = rand();
    normalize(x);
    for (let it = 0; it < 3; it++) {
      // Forward: apply L⁻¹ (with the row swaps).
      for (let k = 0; k < n - 1; k++) {
        if (swap[k]) {
          const t = x[k];
          x[k] = x[k + 1];
          x[k + 1] = t - mult[k] * x[k + 1];
        } else {
          x[k + 1] -= mult[k] * x[k];
        }
      }
      // Back: U⁻¹.
      x[n - 1] /= a[n - 1];
      x[n - 2] = (x[n - 2] - b[n - 2] * x[n - 1]) / a[n - 2];
      for (let k = n - 3; k >= 0; k--) x[k] = (x[k] - b[k] * x[k + 1] - u2[k] * x[k + 2]) / a[k];
      // Huge entries would overflow on the next pass; normalising each pass keeps them in range.
      normalize(x);
      for (const q of cluster) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i] * x[i];
        for (let i = 0; i < n; i++) x[i] -= dot * q[i];
      }
      normalize(x);
    }
    const vec = Zt.subarray(j * n, (j + 1) * n);
    vec.set(x);
    cluster.push(vec);
  }
  // Vectors were built as rows; transpose in tiles so both sides stay cache-friendly.
  const TILE = 32;
  for (let i0 = 0; i0 < n; i0 += TILE)
    for (let j0 = 0; j0 < n; j0 += TILE)
      for (let i = i0; i < Math.min(i0 + TILE, n); i++) for (let j = j0; j < Math.min(j0 + TILE, n); j++) Z[i * n + j] = Zt[j * n + i];
  return Z;
}

function normalize(x: Float64Array): void {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  if (m === 0 || !Number.isFinite(m)) {
    // Degenerate: fall back to a unit vector (MGS in the caller fixes its direction).
    x.fill(0);
    x[0] = 1;
    return;
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] /= m;
    s += x[i] * x[i];
  }
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < x.length; i++) x[i] *= inv;
}
