import { describe, expect, it } from 'vitest';
import { gram, svd, svd64 } from './svd.ts';
import { SvdPool } from './svd-pool.ts';
import { svdErrors } from './svd-check.ts';
import { gemm, gemmJs } from './gemm.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { integerLowRank, randomMatrix, seededRandom, withSingularValues } from './matrices.testing.ts';

const BAR = 1e-6;

function expectGood(W: Float32Array | Float64Array, rows: number, cols: number, r: Parameters<typeof svdErrors>[3]) {
  expect(r.k).toBe(Math.min(rows, cols));
  expect(r.U.length).toBe(rows * r.k);
  expect(r.V.length).toBe(cols * r.k);
  const e = svdErrors(W, rows, cols, r);
  expect(e.reconstruction).toBeLessThanOrEqual(BAR);
  expect(e.orthoU).toBeLessThanOrEqual(BAR);
  expect(e.orthoV).toBeLessThanOrEqual(BAR);
  expect(e.sorted).toBe(true);
}

describe('gemm', () => {
  it('ONNX Runtime and JS products agree for every transpose combination', async () => {
    const rand = seededRandom(3);
    const [m, k, n] = [70, 90, 80];
    const A = Float64Array.from({ length: m * k }, rand);
    const B = Float64Array.from({ length: k * n }, rand);
    const C = Float64Array.from({ length: m * n }, rand);
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const args = { A, B, m, k, n, transA, transB, C, alpha: -1 as const, beta: 1 as const };
        const ort = await gemm(args);
        const js = gemmJs(args);
        let worst = 0;
        for (let i = 0; i < ort.length; i++) worst = Math.max(worst, Math.abs(ort[i] - js[i]));
        expect(worst).toBeLessThan(1e-12);
      }
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a symmetric matrix with orthonormal eigenvectors', async () => {
    const n = 150;
    const W = randomMatrix(n, n + 20, 5);
    const G = gemmJs({ A: Float64Array.from(W), B: Float64Array.from(W), m: n, k: n + 20, n, transB: true });
    const { values, vectors } = await symmetricEigen(G.slice(), n);
    for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
    const GU = gemmJs({ A: G, B: vectors, m: n, k: n, n });
    let res = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) res = Math.max(res, Math.abs(GU[i * n + j] - values[j] * vectors[i * n + j]));
    expect(res / values[n - 1]).toBeLessThan(1e-12);
    const UtU = gemmJs({ A: vectors, B: vectors, m: n, k: n, n, transA: true });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(UtU[i * n + j] - (i === j ? 1 : 0))).toBeLessThan(1e-10);
  });

  it('handles repeated eigenvalues (identity plus a rank-one term)', async () => {
    const n = 40;
    const G = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i * n + j] = (i === j ? 2 : 0) + 1;
    const { values, vectors } = await symmetricEigen(G, n);
    expect(values[n - 1]).toBeCloseTo(2 + n, 10);
    for (let j = 0; j < n - 1; j++) expect(values[j]).toBeCloseTo(2, 10);
    const UtU = gemmJs({ A: vectors, B: vectors, m: n, k: n, n, transA: true });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(UtU[i * n + j] - (i === j ? 1 : 0))).toBeLessThan(1e-10);
  });
});

describe('svd', () => {
  it.each([
    [1, 1],
    [1, 17],
    [17, 1],
    [7, 7],
    [40, 90],
    [90, 40],
    [200, 200],
    [64, 576],
  ])('random %i×%i: reconstruction and orthonormality within 1e-6', async (rows, cols) => {
    const W = randomMatrix(rows, cols, rows * 1000 + cols);
    expectGood(W, rows, cols, await svd(W, rows, cols));
  });

  it('matches known singular values', async () => {
    const sigma = Array.from({ length: 30 }, (_, i) => 30 - i);
    const W = withSingularValues(30, 50, sigma, 9);
    const r = await svd64(W, 30, 50);
    for (let i = 0; i < 30; i++) expect(Math.abs(r.S[i] - sigma[i])).toBeLessThan(1e-11);
  });

  it.each([
    [60, 100, 3],
    [100, 60, 5],
    [50, 50, 1],
    [120, 300, 40],
  ])('exactly rank-deficient %i×%i (rank %i): zero singular values get an orthonormal completion', async (rows, cols, rank) => {
    const W = integerLowRank(rows, cols, rank, rows + cols + rank);
    const r = await svd(W, rows, cols);
    expectGood(W, rows, cols, r);
    expect(r.S[rank - 1]).toBeGreaterThan(1e-3 * r.S[0]);
    for (let i = rank; i < r.k; i++) expect(r.S[i]).toBeLessThan(1e-9 * r.S[0]);
  });

  it('zero matrix and a matrix with zero rows', async () => {
    const Z = new Float32Array(12 * 20);
    const rz = await svd(Z, 12, 20);
    expectGood(Z, 12, 20, rz);
    expect(Array.from(rz.S).every((s) => s === 0)).toBe(true);
    const W = randomMatrix(12, 20, 4);
    W.fill(0, 0, 5 * 20); // five zero rows
    expectGood(W, 12, 20, await svd(W, 12, 20));
  });

  it.each([
    ['geometric 1 … 1e-14 (float64 input)', 60, 140, (i: number, k: number) => 10 ** ((-14 * i) / (k - 1))],
    ['clustered small values', 80, 120, (i: number) => (i < 40 ? 1 + i / 100 : 1e-9 * (1 + (i % 3) * 1e-6))],
    ['tall ill-conditioned', 150, 50, (i: number, k: number) => 10 ** ((-10 * i) / (k - 1))],
  ])('ill-conditioned: %s', async (_name, rows, cols, f) => {
    const k = Math.min(rows, cols);
    const sigma = Array.from({ length: k }, (_, i) => f(i, k)).sort((a, b) => b - a);
    const W = withSingularValues(rows, cols, sigma, rows + cols);
    const r = await svd64(W, rows, cols);
    expectGood(W, rows, cols, r);
    // Values far above the rounding level are recovered to absolute accuracy ~ε·σ_max.
    for (let i = 0; i < k; i++) expect(Math.abs(r.S[i] - sigma[i])).toBeLessThan(1e-12);
    // The float32 factors still meet the bar.
    expectGood(W, rows, cols, await svd(W, rows, cols));
  });

  it('rejects bad input clearly', async () => {
    await expect(svd(new Float32Array(5), 2, 3)).rejects.toThrow(/expected 6 values/);
    await expect(svd(new Float32Array(0), 0, 3)).rejects.toThrow(/bad shape/);
    const W = new Float32Array(6);
    W[4] = NaN;
    await expect(svd(W, 2, 3)).rejects.toThrow(/non-finite value at index 4/);
  });
});

describe('gram', () => {
  it('block-triangular W·Wᵀ equals the full product', async () => {
    const [m, n] = [301, 37];
    const W = Float64Array.from(randomMatrix(m, n, 8));
    const G = await gram(W, m, n);
    const ref = gemmJs({ A: W, B: W, m, k: n, n: m, transB: true });
    let worst = 0;
    for (let i = 0; i < G.length; i++) worst = Math.max(worst, Math.abs(G[i] - ref[i]));
    expect(worst).toBeLessThan(1e-11);
  });
});

describe('SvdPool', () => {
  it('runs SVDs on worker threads with the same accuracy, and reports errors', async () => {
    const pool = new SvdPool(2);
    try {
      const shapes: [number, number][] = [[30, 70], [70, 30], [1, 9], [50, 50]];
      const results = await Promise.all(
        shapes.map(async ([r, c], i) => {
          const W = randomMatrix(r, c, 100 + i);
          return { W, r, c, res: await pool.svd(W, r, c) };
        }),
      );
      for (const { W, r, c, res } of results) expectGood(W, r, c, res);
      await expect(pool.svd(new Float32Array(3), 2, 2)).rejects.toThrow(/expected 4 values/);
    } finally {
      await pool.close();
    }
  });
});
