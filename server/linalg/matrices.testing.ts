// Deterministic test matrices (seeded), shared by the tests and the benchmark.

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const g = gaussian(seededRandom(seed));
  const W = new Float32Array(rows * cols);
  for (let i = 0; i < W.length; i++) W[i] = g();
  return W;
}

/** Exactly rank-r in float32: a product of small-integer factors (all sums exact). */
export function integerLowRank(rows: number, cols: number, rank: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const int = () => Math.floor(rand() * 7) - 3;
  const A = Array.from({ length: rows * rank }, int);
  const B = Array.from({ length: rank * cols }, int);
  const W = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < rank; q++) s += A[i * rank + q] * B[q * cols + j];
      W[i * cols + j] = s;
    }
  return W;
}

/** Random n×k matrix with orthonormal columns (Householder-free: modified Gram–Schmidt twice). */
export function orthonormalColumns(n: number, k: number, seed: number): Float64Array {
  const g = gaussian(seededRandom(seed));
  const Q = new Float64Array(n * k);
  for (let i = 0; i < Q.length; i++) Q[i] = g();
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < j; c++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += Q[i * k + c] * Q[i * k + j];
        for (let i = 0; i < n; i++) Q[i * k + j] -= dot * Q[i * k + c];
      }
    }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += Q[i * k + j] ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) Q[i * k + j] /= nrm;
  }
  return Q;
}

/** W = U·diag(sigma)·Vᵀ in float64 with random orthonormal U, V (sigma.length = min(rows, cols)). */
export function withSingularValues(rows: number, cols: number, sigma: number[], seed: number): Float64Array {
  const k = sigma.length;
  const U = orthonormalColumns(rows, k, seed);
  const V = orthonormalColumns(cols, k, seed + 1);
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += U[i * k + q] * sigma[q] * V[j * k + q];
      W[i * cols + j] = s;
    }
  return W;
}
