// Messages between the server process and the node worker (child_process IPC with the
// 'advanced' serialisation, so typed arrays such as preview PNGs cross without copying to JSON).
import type { ApiPrompt, UiOutput } from '../core/index.ts';
import type { DeviceSetting } from '../config.ts';
import type { EngineEvent, ExecutionErrorData, ExecutionStatus } from './events.ts';

export interface WorkerConfig {
  dataDir: string;
  modelsDir?: string;
  /** Node definitions folder; the repository's nodes/ when absent. */
  nodesDir?: string;
  /** `auto` is resolved in the worker (probing providers starts ORT sessions). */
  device: DeviceSetting;
  cacheBytes: number;
}

export interface RunRequest {
  promptId: string;
  prompt: ApiPrompt;
  extraData: Record<string, unknown>;
  outputs: string[];
}

export interface RunResult {
  status: ExecutionStatus;
  outputs: Record<string, UiOutput>;
  executed: string[];
  cached: string[];
  error?: ExecutionErrorData;
}

export type ToWorker = { t: 'run'; req: RunRequest } | { t: 'interrupt'; promptId: string };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'fatal'; message: string }
  | { t: 'event'; promptId: string; event: EngineEvent }
  | { t: 'done'; promptId: string; result: RunResult };

export const WORKER_CONFIG_ENV = 'SVDIFF_WORKER_CONFIG';
