// The durable pending queue: one JSON file per queued prompt under data/queue/. A prompt's
// file is removed only after its history entry is written, so a prompt that was running when
// the server died is found again on start and runs first (it keeps its original number).
import type { ApiPrompt } from '../core/index.ts';
import { JsonDir } from './json-dir.ts';

export interface QueueItem {
  /** Sort key: lower runs first (`front` prompts get numbers below every queued one). */
  number: number;
  promptId: string;
  prompt: ApiPrompt;
  /** The client's extra_data, with `client_id` added (as ComfyUI does). */
  extraData: Record<string, unknown>;
  /** Output node ids to execute. */
  outputs: string[];
  clientId?: string;
}

/** ComfyUI's queue tuple: [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
export type QueueTuple = [number, string, ApiPrompt, Record<string, unknown>, string[]];

export function toTuple(item: QueueItem): QueueTuple {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

export function compareItems(a: QueueItem, b: QueueItem): number {
  return a.number - b.number;
}

export class QueueStore {
  private readonly files: JsonDir<QueueItem>;

  constructor(dir: string) {
    this.files = new JsonDir<QueueItem>(dir);
  }

  async load(): Promise<QueueItem[]> {
    const all = await this.files.loadAll();
    return all
      .map((r) => r.value)
      .filter((v) => v && typeof v.promptId === 'string' && typeof v.number === 'number' && v.prompt && typeof v.prompt === 'object')
      .sort(compareItems);
  }

  put(item: QueueItem): Promise<void> {
    return this.files.put(item.promptId, item);
  }

  remove(promptId: string): Promise<void> {
    return this.files.remove(promptId);
  }

  flush(): Promise<void> {
    return this.files.flush();
  }
}
