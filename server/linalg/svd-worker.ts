// Worker side of SvdPool: one SVD at a time, ORT on one thread (the pool owns the parallelism).
import { parentPort } from 'node:worker_threads';
import { setGemmThreads } from './gemm.ts';
import { svd } from './svd.ts';

setGemmThreads(1);
parentPort!.on('message', async (msg: { id: number; matrix: Float32Array; rows: number; cols: number }) => {
  try {
    const r = await svd(msg.matrix, msg.rows, msg.cols);
    parentPort!.postMessage({ id: msg.id, result: r }, [r.U.buffer as ArrayBuffer, r.S.buffer as ArrayBuffer, r.V.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
