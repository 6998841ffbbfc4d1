// Runs many SVDs on worker threads (default: one per core). The JS parts of the eigen-solver
// are single-threaded, so independent layers in parallel keep every core busy.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SvdResult } from './svd.ts';

interface Job {
  id: number;
  matrix: Float32Array;
  rows: number;
  cols: number;
  resolve: (r: SvdResult) => void;
  reject: (e: Error) => void;
}

export class SvdPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private nextId = 1;
  private closed = false;

  constructor(size = availableParallelism()) {
    // Sources are TypeScript: the worker loads its module through tsx's API, whatever loader
    // (tsx CLI, vitest) the main thread runs under.
    const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const entry = new URL('./svd-worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(boot, { eval: true });
      w.on('message', (msg: { id: number; result?: SvdResult; error?: string }) => {
        const job = this.running.get(w);
        this.running.delete(w);
        if (job) {
          if (msg.error !== undefined) job.reject(new Error(msg.error));
          else job.resolve(msg.result!);
        }
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => {
        const job = this.running.get(w);
        this.running.delete(w);
        job?.reject(e);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Queues one SVD. The matrix is copied (the caller keeps its array). */
  svd(matrix: Float32Array, rows: number, cols: number): Promise<SvdResult> {
    if (this.closed) return Promise.reject(new Error('SvdPool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, matrix: matrix.slice(), rows, cols, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.running.set(w, job);
      w.postMessage({ id: job.id, matrix: job.matrix, rows: job.rows, cols: job.cols }, [job.matrix.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('SvdPool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
