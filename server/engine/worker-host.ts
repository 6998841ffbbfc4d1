// The server side of the node worker: starts it, hands it one prompt at a time, forwards its
// events, and turns a dead worker into a failed (or, after an interrupt, an interrupted)
// prompt followed by a fresh worker. Nothing here blocks: the worker does all node work.
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineEvent, ExecutionErrorData } from './events.ts';
import type { FromWorker, RunRequest, RunResult, ToWorker, WorkerConfig } from './worker-protocol.ts';
import { WORKER_CONFIG_ENV } from './worker-protocol.ts';
import { killLeftoverWorker, recordWorkerPid, workerTag } from './worker-pidfile.ts';

const workerMain = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
// An absolute URL, so the worker finds tsx whatever the working directory is.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Added to the worker's nice value (Unix; a priority class on Windows). */
const WORKER_NICENESS = 5;

/**
 * glibc malloc settings for the worker (the user's own environment wins). ONNX Runtime's big
 * training sessions (and a big model's text encoder and VAE) run without its arena, so tensors
 * come from malloc; with glibc's default, whose
 * mmap threshold rises after each big free, the tensors between 128 KiB and 32 MiB of one
 * training step of SD 1.5 stayed in the heap after it (10 GiB anonymous between steps, the next
 * step passing 21 GiB). A fixed threshold returns them: 1.9 GiB between steps, 12.2 GiB anonymous
 * at the peak, for a step ~20 % slower (187 s vs 157 s at 512² on 2 cores).
 */
export const WORKER_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' } as const;

export interface WorkerHostOptions extends WorkerConfig {
  /** After an interrupt, how long the node may take to return before the worker is killed. */
  graceMs: number;
  /** Where the worker's pid is kept, so a restarted server can kill one left running. */
  pidFile?: string;
}

interface Job {
  req: RunRequest;
  emit: (e: EngineEvent) => void;
  resolve: (r: RunResult) => void;
  lastNode: string | null;
  executed: Set<string>;
  cached: Set<string>;
  /** UI outputs seen so far, kept when the worker dies mid-prompt. */
  outputs: Record<string, RunResult['outputs'][string]>;
  interrupted: boolean;
  graceTimer?: NodeJS.Timeout;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  /** Set once the worker said it is ready; a worker that dies before is not restarted eagerly. */
  isReady: boolean;
}

export class WorkerHost {
  private worker?: Worker;
  private job?: Job;
  private closed = false;
  /** Worker restarts so far (tests and logs). */
  restarts = 0;

  constructor(private readonly opts: WorkerHostOptions) {
    if (opts.pidFile) {
      const killed = killLeftoverWorker(opts.pidFile, opts.dataDir);
      if (killed !== undefined) console.warn(`stopped node worker ${killed} left running by an earlier server`);
    }
  }

  /** Starts the worker now rather than on the first prompt. */
  async start(): Promise<void> {
    try {
      await this.ensureWorker().ready;
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Runs one prompt; always resolves, a dead worker included (status 'error' or 'interrupted'). */
  async run(req: RunRequest, emit: (e: EngineEvent) => void): Promise<RunResult> {
    if (this.job) throw new Error('the worker is already running a prompt');
    if (this.closed) throw new Error('the worker host is closed');
    const job: Job = { req, emit, resolve: () => undefined, lastNode: null, executed: new Set(), cached: new Set(), outputs: {}, interrupted: false };
    const done = new Promise<RunResult>((resolve) => (job.resolve = resolve));
    this.job = job;
    const worker = this.ensureWorker();
    try {
      await worker.ready;
    } catch (e) {
      this.finish(job, this.failure(job, `worker failed to start: ${(e as Error).message}`));
      return done;
    }
    if (this.job !== job) return done;
    if (job.interrupted) {
      this.finish(job, this.interruptedResult(job));
      return done;
    }
    this.send(worker, { t: 'run', req });
    return done;
  }

  /** Asks the running prompt to stop (all prompts when `promptId` is absent). False if it is not running. */
  interrupt(promptId?: string): boolean {
    const job = this.job;
    if (!job || (promptId !== undefined && promptId !== job.req.promptId)) return false;
    if (job.interrupted) return true;
    job.interrupted = true;
    if (this.worker?.isReady) this.send(this.worker, { t: 'interrupt', promptId: job.req.promptId });
    // A node stuck in native code never sees the abort signal: kill the worker after the grace period.
    job.graceTimer = setTimeout(() => {
      if (this.job === job && this.worker) this.worker.child.kill('SIGKILL');
    }, this.opts.graceMs);
    job.graceTimer.unref();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.opts.pidFile) rmSync(this.opts.pidFile, { force: true });
    const w = this.worker;
    this.worker = undefined;
    if (w && w.child.exitCode === null && w.child.signalCode === null) {
      const exited = new Promise<void>((r) => w.child.once('exit', () => r()));
      w.child.kill('SIGKILL');
      await exited;
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { graceMs: _g, pidFile, ...config } = this.opts;
    const child = fork(workerMain, [workerTag(config.dataDir)], {
      serialization: 'advanced',
      execArgv: ['--import', tsxLoader],
      env: { ...WORKER_MALLOC_ENV, ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (child.pid !== undefined && pidFile) recordWorkerPid(pidFile, child.pid);
    // Slightly lower priority than the server: when both want the CPU, requests win.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, WORKER_NICENESS);
      } catch {
        // Not permitted on some systems; harmless.
      }
    }
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    ready.catch(() => undefined);
    const worker: Worker = { child, ready, isReady: false };
    this.worker = worker;

    child.on('message', (msg: FromWorker) => {
      if (msg.t === 'ready') {
        worker.isReady = true;
        settle.resolve();
      } else if (msg.t === 'fatal') {
        settle.reject(new Error(msg.message));
      } else if (msg.t === 'event') {
        this.onEvent(msg.promptId, msg.event);
      } else if (msg.t === 'done') {
        const job = this.job;
        if (job && job.req.promptId === msg.promptId) this.finish(job, msg.result);
      }
    });
    child.on('error', (e) => settle.reject(e));
    child.on('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      settle.reject(new Error(`worker process exited (${how}) before it was ready`));
      if (this.worker === worker) this.worker = undefined;
      const job = this.job;
      if (job && this.closed) {
        // Shutting down: the prompt is neither failed nor interrupted, it runs again on the next start.
        this.finish(job, { status: 'interrupted', outputs: job.outputs, executed: [...job.executed], cached: [...job.cached] });
      } else if (job && worker.isReady) {
        this.finish(job, job.interrupted ? this.interruptedResult(job) : this.failure(job, `worker process died: ${how}`));
      }
      // Start the next worker now so the queue does not wait for it; a worker that could not
      // even start is retried only when the next prompt needs it.
      if (!this.closed && worker.isReady) {
        this.restarts++;
        this.ensureWorker();
      }
    });
    return worker;
  }

  private send(worker: Worker, msg: ToWorker): void {
    try {
      worker.child.send(msg);
    } catch {
      // The exit handler reports the failure.
    }
  }

  private onEvent(promptId: string, event: EngineEvent): void {
    const job = this.job;
    if (!job || job.req.promptId !== promptId) return;
    if (event.type === 'executing') {
      // The node before this one finished (cached nodes never get an 'executing').
      if (job.lastNode !== null && !job.cached.has(job.lastNode)) job.executed.add(job.lastNode);
      job.lastNode = event.data.node;
    } else if (event.type === 'executed') {
      if (!job.cached.has(event.data.node)) job.executed.add(event.data.node);
      job.outputs[event.data.node] = event.data.output;
    }
    else if (event.type === 'execution_cached') for (const n of event.data.nodes) job.cached.add(n);
    job.emit(event);
  }

  private finish(job: Job, result: RunResult): void {
    if (this.job !== job) return;
    clearTimeout(job.graceTimer);
    this.job = undefined;
    job.resolve(result);
  }

  private failure(job: Job, message: string): RunResult {
    const nodeId = job.lastNode ?? '';
    const error: ExecutionErrorData = {
      prompt_id: job.req.promptId,
      node_id: nodeId,
      node_type: job.req.prompt[nodeId]?.class_type ?? '',
      executed: [...job.executed],
      exception_message: message,
      exception_type: 'WorkerDied',
      traceback: [],
      current_inputs: {},
      current_outputs: [...job.cached, ...job.executed],
      timestamp: Date.now(),
    };
    job.emit({ type: 'execution_error', data: error });
    return { status: 'error', outputs: job.outputs, executed: [...job.executed], cached: [...job.cached], error };
  }

  private interruptedResult(job: Job): RunResult {
    const nodeId = job.lastNode ?? '';
    job.emit({
      type: 'execution_interrupted',
      data: {
        prompt_id: job.req.promptId,
        node_id: nodeId,
        node_type: job.req.prompt[nodeId]?.class_type ?? '',
        executed: [...job.executed],
        timestamp: Date.now(),
      },
    });
    return { status: 'interrupted', outputs: job.outputs, executed: [...job.executed], cached: [...job.cached] };
  }
}
