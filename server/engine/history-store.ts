// Finished prompts, in ComfyUI's /history shape, one JSON file each under data/history/.
// Kept in memory in finishing order; the oldest are dropped past `limit`.
import type { UiOutput } from '../../nodes/define.ts';
import { JsonDir } from './json-dir.ts';
import type { QueueTuple } from './queue-store.ts';

export interface HistoryStatus {
  status_str: 'success' | 'error';
  completed: boolean;
  /** [event name, event data] for execution_start / _cached / _success / _error / _interrupted. */
  messages: Array<[string, unknown]>;
}

export interface HistoryEntry {
  prompt: QueueTuple;
  outputs: Record<string, UiOutput>;
  status: HistoryStatus;
  meta: Record<string, { node_id: string; display_node: string }>;
}

interface Stored {
  seq: number;
  entry: HistoryEntry;
}

export class HistoryStore {
  private readonly files: JsonDir<Stored>;
  /** Insertion order = finishing order. */
  private readonly entries = new Map<string, Stored>();
  private seq = 0;

  constructor(dir: string, private readonly limit: number) {
    this.files = new JsonDir<Stored>(dir);
  }

  async load(): Promise<void> {
    const all = await this.files.loadAll();
    all.sort((a, b) => (a.value?.seq ?? 0) - (b.value?.seq ?? 0));
    for (const { key, value } of all) {
      if (!value || typeof value.seq !== 'number' || !value.entry) continue;
      this.entries.set(key, value);
      this.seq = Math.max(this.seq, value.seq);
    }
    await this.evict();
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): HistoryEntry | undefined {
    return this.entries.get(id)?.entry;
  }

  /** Oldest first; `maxItems` keeps the newest N (ComfyUI's `max_items`). */
  list(maxItems?: number, offset = 0): Record<string, HistoryEntry> {
    let keys = [...this.entries.keys()];
    if (offset > 0) keys = keys.slice(0, Math.max(0, keys.length - offset));
    if (maxItems !== undefined) keys = keys.slice(Math.max(0, keys.length - maxItems));
    const out: Record<string, HistoryEntry> = {};
    for (const k of keys) out[k] = this.entries.get(k)!.entry;
    return out;
  }

  /** Highest queue number seen, so numbering continues after a restart. */
  maxNumber(): number {
    let m = 0;
    for (const s of this.entries.values()) m = Math.max(m, s.entry.prompt[0]);
    return m;
  }

  async add(id: string, entry: HistoryEntry): Promise<void> {
    const stored = { seq: ++this.seq, entry };
    this.entries.delete(id);
    this.entries.set(id, stored);
    await this.files.put(id, stored);
    await this.evict();
  }

  async delete(ids: string[]): Promise<void> {
    await Promise.all(ids.filter((id) => this.entries.delete(id)).map((id) => this.files.remove(id)));
  }

  async clear(): Promise<void> {
    await this.delete([...this.entries.keys()]);
  }

  flush(): Promise<void> {
    return this.files.flush();
  }

  private async evict(): Promise<void> {
    const over = this.entries.size - this.limit;
    if (over <= 0) return;
    await this.delete([...this.entries.keys()].slice(0, over));
  }
}
