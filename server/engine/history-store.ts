// Finished prompts, in ComfyUI's /history shape, one JSON file each under data/history/.
// Kept in memory in finishing order; the oldest are dropped past `limit` entries or past
// `maxBytes` of serialized entries (a prompt's extra_data may carry megabytes of workflow:
// ten 20 MB prompts would otherwise hold 200 MB for good).
import type { UiOutput } from '../core/index.ts';
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

/** Default byte budget: 256 MiB of serialized entries in memory (and as much on disk). */
export const HISTORY_MAX_BYTES = 256 * 1024 * 1024;

function sizeOf(s: Stored): number {
  return Buffer.byteLength(JSON.stringify(s));
}

export class HistoryStore {
  private readonly files: JsonDir<Stored>;
  /** Insertion order = finishing order. */
  private readonly entries = new Map<string, Stored>();
  /** Serialized size of each entry, and their sum, for the byte budget. */
  private readonly sizes = new Map<string, number>();
  private totalBytes = 0;
  private seq = 0;

  /**
   * `limit`: most entries kept; `maxBytes`: most serialized bytes kept. The newest entry is
   * always kept, even alone over the budget, so a finished prompt can be looked up.
   */
  constructor(dir: string, private readonly limit: number, private readonly maxBytes = HISTORY_MAX_BYTES) {
    this.files = new JsonDir<Stored>(dir);
  }

  /** Serialized bytes of the entries kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  async load(): Promise<void> {
    const all = await this.files.loadAll();
    all.sort((a, b) => (a.value?.seq ?? 0) - (b.value?.seq ?? 0));
    for (const { key, value } of all) {
      if (!value || typeof value.seq !== 'number' || !value.entry) continue;
      this.track(key, value);
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

  /**
   * Oldest first, as ComfyUI's get_history: `offset` skips that many of the oldest, then at most
   * `maxItems` follow; `maxItems` without an offset gives the newest N.
   */
  list(maxItems?: number, offset?: number): Record<string, HistoryEntry> {
    let keys = [...this.entries.keys()];
    const start = offset ?? (maxItems === undefined ? 0 : Math.max(0, keys.length - maxItems));
    keys = keys.slice(start, maxItems === undefined ? undefined : start + maxItems);
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
    this.untrack(id);
    this.track(id, stored);
    await this.files.put(id, stored);
    await this.evict();
  }

  async delete(ids: string[]): Promise<void> {
    await Promise.all(ids.filter((id) => this.untrack(id)).map((id) => this.files.remove(id)));
  }

  async clear(): Promise<void> {
    await this.delete([...this.entries.keys()]);
  }

  flush(): Promise<void> {
    return this.files.flush();
  }

  private track(id: string, stored: Stored): void {
    const size = sizeOf(stored);
    this.entries.set(id, stored);
    this.sizes.set(id, size);
    this.totalBytes += size;
  }

  private untrack(id: string): boolean {
    this.totalBytes -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
    return this.entries.delete(id);
  }

  /** Oldest first, until the count and the byte budget hold (the budget never evicts the newest). */
  private async evict(): Promise<void> {
    const drop: string[] = [];
    let count = this.entries.size;
    let bytes = this.totalBytes;
    for (const [id, size] of this.sizes) {
      if (count <= this.limit && (bytes <= this.maxBytes || count <= 1)) break;
      drop.push(id);
      count--;
      bytes -= size;
    }
    if (drop.length > 0) await this.delete(drop);
  }
}
