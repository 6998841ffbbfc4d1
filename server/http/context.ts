// What every route needs, built once by createServer.
import type { NodeRegistry } from '../engine/registry.ts';
import type { OptionsEnv, Storage } from '../core/index.ts';
import type { PromptQueue } from '../engine/prompt-queue.ts';
import type { DeviceSetting } from '../config.ts';

export interface AppContext {
  registry: NodeRegistry;
  storage: Storage;
  env: OptionsEnv;
  queue: PromptQueue;
  /** Interrupts the running prompt (or only `promptId`). */
  interrupt(promptId?: string): boolean;
  device: DeviceSetting;
  uploadLimitBytes: number;
  historyLimit: number;
}
