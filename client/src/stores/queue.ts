// The server's queue (running, pending) and history with each run's images, refreshed when
// the server's status changes; cancel one item, clear the pending queue, interrupt the running
// prompt.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { getApi } from '../api/instance.ts';
import type { HistoryEntry, ImageRef, QueueItem, Workflow } from '../api/types.ts';

export interface QueueEntry {
  number: number;
  promptId: string;
  nodeCount: number;
}
export interface HistoryRow extends QueueEntry {
  status: string;
  images: number;
  /** The run's output images (saved and previews), to show as thumbnails. */
  outputs: { url: string; ref: ImageRef }[];
  /** When the run ended and how long it took (from the server's recorded events). */
  endedAt?: number;
  durationMs?: number;
  /** The workflow the prompt was queued from (extra_pnginfo), to open it again. */
  workflow?: Workflow;
}

function entry(item: QueueItem): QueueEntry {
  return { number: item[0], promptId: item[1], nodeCount: Object.keys(item[2] ?? {}).length };
}

/**
 * How a waiting prompt is shown: its place in line ("next", "2nd in line", …). The server's
 * queue number is only a sort key — a prompt queued to the front gets a negative one.
 */
export function placeLabel(index: number): string {
  if (index === 0) return 'Next';
  const n = index + 1;
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix} in line`;
}

function times(e: HistoryEntry): { endedAt?: number; durationMs?: number } {
  const stamps = (e.status?.messages ?? []).map(([type, d]) => [type, (d as { timestamp?: number }).timestamp] as const).filter(([, t]) => typeof t === 'number') as [string, number][];
  const start = stamps.find(([type]) => type === 'execution_start')?.[1];
  const end = stamps.length > 0 ? stamps[stamps.length - 1][1] : undefined;
  return { endedAt: end, durationMs: start !== undefined && end !== undefined ? end - start : undefined };
}

export const useQueueStore = defineStore('queue', () => {
  const running = ref<QueueEntry[]>([]);
  const pending = ref<QueueEntry[]>([]);
  const history = ref<HistoryRow[]>([]);
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function refresh(): Promise<void> {
    const api = getApi();
    const [q, h] = await Promise.all([api.getQueue(), api.getHistory().catch(() => ({}) as Record<string, HistoryEntry>)]);
    running.value = (q.queue_running ?? []).map(entry);
    pending.value = (q.queue_pending ?? []).map(entry).sort((a, b) => a.number - b.number);
    // The server lists history oldest first, in the order the runs ended: newest first here.
    history.value = Object.entries(h)
      .map(([id, e]) => {
        const outputs = Object.values(e.outputs ?? {}).flatMap((o) => (o.images ?? []).map((ref) => ({ url: api.viewUrl(ref), ref })));
        return {
          ...(e.prompt ? entry(e.prompt) : { number: 0, nodeCount: 0 }),
          promptId: id,
          status: e.status?.status_str ?? (e.status?.completed ? 'success' : 'unknown'),
          images: outputs.length,
          outputs,
          ...times(e),
          workflow: (e.prompt?.[3] as { extra_pnginfo?: { workflow?: Workflow } } | undefined)?.extra_pnginfo?.workflow,
        };
      })
      .reverse()
      .sort((a, b) => (a.endedAt !== undefined && b.endedAt !== undefined ? b.endedAt - a.endedAt : 0));
  }

  /** Refreshes soon; many status messages in a burst cause one request. */
  function refreshSoon(ms = 150): void {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh().catch(() => {}), ms);
  }

  async function cancel(promptId: string): Promise<void> {
    const api = getApi();
    if (running.value.some((r) => r.promptId === promptId)) await api.interrupt();
    else await api.deleteQueued([promptId]);
    await refresh();
  }

  async function clearPending(): Promise<void> {
    await getApi().clearQueue();
    await refresh();
  }

  async function clearHistory(): Promise<void> {
    await getApi().clearHistory();
    await refresh();
  }

  async function interrupt(): Promise<void> {
    await getApi().interrupt();
  }

  function bind(): () => void {
    const api = getApi();
    const offs = [
      api.on('status', () => refreshSoon()),
      api.on('execution_start', () => refreshSoon()),
      api.on('execution_success', () => refreshSoon()),
      api.on('execution_error', () => refreshSoon()),
      api.on('execution_interrupted', () => refreshSoon()),
      api.on('connected', () => refreshSoon(0)),
    ];
    return () => offs.forEach((off) => off());
  }

  return { running, pending, history, refresh, refreshSoon, cancel, clearPending, clearHistory, interrupt, bind };
});
