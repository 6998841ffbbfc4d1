// The prompt queue: pending prompts (durable), the one running prompt, and history. Runs
// prompts one at a time on a PromptRunner (the node worker), forwards their events, and
// records each finished prompt in history before dropping it from the durable queue — so a
// prompt that was running when the server died runs again, first, after a restart.
import { randomUUID } from 'node:crypto';
import type { ApiPrompt } from '../core/index.ts';
import type { EngineEvent } from './events.ts';
import { ProgressStateTracker } from './progress-state.ts';
import type { HistoryEntry, HistoryStore } from './history-store.ts';
import { isSafeKey } from './json-dir.ts';
import { compareItems, type QueueItem, type QueueStore } from './queue-store.ts';
import type { RunRequest, RunResult } from './worker-protocol.ts';

export interface PromptRunner {
  run(req: RunRequest, emit: (e: EngineEvent) => void): Promise<RunResult>;
  interrupt(promptId?: string): boolean;
}

export interface PromptQueueDeps {
  queueStore: QueueStore;
  history: HistoryStore;
  runner: PromptRunner;
  /** An engine event of a prompt, for the prompt's client (undefined: every client). */
  onEvent(event: EngineEvent, clientId: string | undefined): void;
  /** The queue changed (queued, started, finished, deleted). */
  onChange(): void;
}

/** A client-chosen prompt_id that cannot be used (bad characters, or taken). */
export class PromptIdError extends Error {}

export interface EnqueueRequest {
  prompt: ApiPrompt;
  outputs: string[];
  extraData?: Record<string, unknown>;
  clientId?: string;
  front?: boolean;
  number?: number;
  promptId?: string;
  /**
   * The prompt does not start before this settles (at most HOLD_LIMIT_MS): the HTTP layer
   * passes "the answer to this POST /prompt is sent", so the client knows the prompt id before
   * any of its events arrive (ComfyUI's order; SDKs drop events of ids they do not know yet).
   */
  startAfter?: Promise<unknown>;
}

const HOLD_LIMIT_MS = 5_000;

/** How a prompt ends: exactly one of these. */
const OUTCOMES = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

/** History records these events, as ComfyUI does. */
const RECORDED = new Set(['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted']);

export class PromptQueue {
  private pending: QueueItem[] = [];
  private running?: QueueItem;
  private counter = 0;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  /** Queued prompts that may not start yet (see EnqueueRequest.startAfter). */
  private readonly holds = new Set<string>();

  private constructor(private readonly deps: PromptQueueDeps) {}

  /** Loads the durable queue and history and starts running what is queued. */
  static async open(deps: PromptQueueDeps): Promise<PromptQueue> {
    const q = new PromptQueue(deps);
    await deps.history.load();
    const items = await deps.queueStore.load();
    for (const item of items) {
      // Finished just before a crash, between writing history and dropping the queue file.
      if (deps.history.has(item.promptId)) await deps.queueStore.remove(item.promptId);
      else q.pending.push(item);
    }
    q.counter = Math.max(deps.history.maxNumber(), ...q.pending.map((i) => i.number), 0);
    q.pump();
    return q;
  }

  get history(): HistoryStore {
    return this.deps.history;
  }

  get runningItem(): QueueItem | undefined {
    return this.running;
  }

  get pendingItems(): readonly QueueItem[] {
    return this.pending;
  }

  /** ComfyUI's `queue_remaining`: pending plus running. */
  get remaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  has(promptId: string): boolean {
    return this.running?.promptId === promptId || this.pending.some((i) => i.promptId === promptId) || this.deps.history.has(promptId);
  }

  /** Queues a validated prompt; resolves once it is on disk. */
  async enqueue(req: EnqueueRequest): Promise<QueueItem> {
    const promptId = req.promptId ?? randomUUID();
    if (!isSafeKey(promptId)) throw new PromptIdError(`prompt_id "${promptId}" may only hold letters, digits, "-" and "_"`);
    if (this.has(promptId)) throw new PromptIdError(`prompt_id "${promptId}" is already used`);
    let number: number;
    if (req.number !== undefined && Number.isFinite(req.number)) number = req.number;
    else if (req.front) number = Math.min(0, ...this.pending.map((i) => i.number), this.running?.number ?? 0) - 1;
    else number = ++this.counter;
    this.counter = Math.max(this.counter, number);
    const extraData = { ...(req.extraData ?? {}) };
    if (req.clientId !== undefined) extraData.client_id = req.clientId;
    const item: QueueItem = { number, promptId, prompt: req.prompt, extraData, outputs: req.outputs, clientId: req.clientId };
    await this.deps.queueStore.put(item);
    if (req.startAfter) {
      this.holds.add(promptId);
      const limit = new Promise((r) => setTimeout(r, HOLD_LIMIT_MS).unref());
      void Promise.race([req.startAfter, limit])
        .catch(() => undefined)
        .then(() => {
          this.holds.delete(promptId);
          this.pump();
        });
    }
    this.pending.push(item);
    this.pending.sort(compareItems);
    this.deps.onChange();
    this.pump();
    return item;
  }

  /** Drops pending prompts (a running one is interrupted instead, as ComfyUI's UI does separately). */
  async delete(ids: string[]): Promise<void> {
    const drop = new Set(ids);
    const removed = this.pending.filter((i) => drop.has(i.promptId));
    if (removed.length === 0) return;
    this.pending = this.pending.filter((i) => !drop.has(i.promptId));
    await Promise.all(removed.map((i) => this.deps.queueStore.remove(i.promptId)));
    this.deps.onChange();
  }

  async clear(): Promise<void> {
    await this.delete(this.pending.map((i) => i.promptId));
  }

  /** Interrupts the running prompt (only if it is `promptId`, when given). */
  interrupt(promptId?: string): boolean {
    if (!this.running) return false;
    if (promptId !== undefined && promptId !== this.running.promptId) return false;
    return this.deps.runner.interrupt(this.running.promptId);
  }

  /** Resolves when nothing is running or pending. */
  idle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Resolves once every queue and history write issued so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all([this.deps.queueStore.flush(), this.deps.history.flush()]);
  }

  /** Stops starting prompts. The running one stays in the durable queue, to run again on the next start. */
  close(): void {
    this.closing = true;
  }

  private pump(): void {
    if (this.running || this.closing) {
      return;
    }
    const next = this.pending[0];
    if (!next) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    // Held at the head: the hold's end pumps again (a later prompt does not jump ahead).
    if (this.holds.has(next.promptId)) return;
    this.pending.shift();
    this.running = next;
    this.deps.onChange();
    void this.execute(next)
      .catch((e: unknown) => console.error(`prompt ${next.promptId}:`, e))
      .finally(() => {
        if (this.running === next) {
          this.running = undefined;
          this.deps.onChange();
        }
        this.pump();
      });
  }

  private async execute(item: QueueItem): Promise<void> {
    const messages: Array<[string, unknown]> = [];
    const send = (event: EngineEvent) => this.deps.onEvent(event, item.clientId);
    const progress = new ProgressStateTracker(item.promptId);
    // The prompt's ending (its outcome, then `executing` null) goes out only once its history
    // entry exists, so a client that asks /history on either event finds it (ComfyUI's order).
    const ending: EngineEvent[] = [];
    const emit = (event: EngineEvent) => {
      if (RECORDED.has(event.type)) messages.push([event.type, event.data]);
      const state = progress.next(event);
      if (state) send(state);
      if (OUTCOMES.has(event.type) || (event.type === 'executing' && event.data.node === null)) ending.push(event);
      else send(event);
    };
    const result = await this.deps.runner.run(
      { promptId: item.promptId, prompt: item.prompt, extraData: item.extraData, outputs: item.outputs },
      emit,
    );
    // Closing kills the worker: that prompt did not fail, it runs again after the restart.
    if (this.closing) return;
    const entry: HistoryEntry = {
      prompt: [item.number, item.promptId, item.prompt, item.extraData, item.outputs],
      outputs: result.outputs,
      status: { status_str: result.status === 'success' ? 'success' : 'error', completed: result.status === 'success', messages },
      meta: Object.fromEntries(Object.keys(result.outputs).map((id) => [id, { node_id: id, display_node: id }])),
    };
    // History shows it (in memory at once) as the queue stops showing it running.
    const recorded = this.deps.history.add(item.promptId, entry);
    this.running = undefined;
    for (const e of ending.sort((a, b) => Number(a.type === 'executing') - Number(b.type === 'executing'))) send(e);
    this.deps.onChange();
    await recorded;
    await this.deps.queueStore.remove(item.promptId);
  }
}
