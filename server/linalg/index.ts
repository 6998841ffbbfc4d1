export { svd, svd64, type SvdResult, type Svd64Result } from './svd.ts';
export { symmetricEigen, type SymmetricEigen } from './symmetric-eigen.ts';
export { gemm, gemmJs, setGemmThreads, type GemmArgs } from './gemm.ts';
export { svdErrors, type SvdErrors } from './svd-check.ts';
export { SvdPool } from './svd-pool.ts';
