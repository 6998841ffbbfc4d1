// Accuracy measures for a thin SVD, used by tests and the benchmark.

export interface SvdErrors {
  /** ‖W − U·diag(S)·Vᵀ‖_F / ‖W‖_F (0 for a zero W with a zero S). */
  reconstruction: number;
  /** max |UᵀU − I|. */
  orthoU: number;
  /** max |VᵀV − I|. */
  orthoV: number;
  /** S is non-negative and non-increasing. */
  sorted: boolean;
}

type Arr = Float32Array | Float64Array;

export function svdErrors(W: Arr, rows: number, cols: number, r: { U: Arr; S: Arr; V: Arr; k: number }): SvdErrors {
  const { U, S, V, k } = r;
  let num = 0;
  let den = 0;
  const us = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < k; q++) us[q] = U[i * k + q] * S[q];
    for (let j = 0; j < cols; j++) {
      let s = 0;
      const vo = j * k;
      for (let q = 0; q < k; q++) s += us[q] * V[vo + q];
      const w = W[i * cols + j];
      num += (w - s) * (w - s);
      den += w * w;
    }
  }
  let sorted = true;
  for (let q = 0; q < k; q++) if (S[q] < 0 || (q > 0 && S[q] > S[q - 1])) sorted = false;
  return {
    reconstruction: den === 0 ? Math.sqrt(num) : Math.sqrt(num / den),
    orthoU: orthoError(U, rows, k),
    orthoV: orthoError(V, cols, k),
    sorted,
  };
}

function orthoError(A: Arr, rows: number, k: number): number {
  let worst = 0;
  const G = new Float64Array(k * k);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    for (let a = 0; a < k; a++) {
      const x = A[o + a];
      if (x === 0) continue;
      const g = a * k;
      for (let b = a; b < k; b++) G[g + b] += x * A[o + b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) worst = Math.max(worst, Math.abs(G[a * k + b] - (a === b ? 1 : 0)));
  return worst;
}
