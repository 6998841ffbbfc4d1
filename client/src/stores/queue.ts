// The server's queue (running, pending) and history, refreshed when the server's status
// changes; cancel one item, clear the pending queue, interrupt the running prompt.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { getApi } from '../api/instance.ts';
import type { HistoryEntry, QueueItem, Workflow } from '../api/types.ts';

export interface QueueEntry {
  number: number;
  promptId: string;
  nodeCount: number;
}
export interface HistoryRow extends QueueEntry {
  status: string;
  images: number;
  /** The workflow the prompt was queued from (extra_pnginfo), to open it again. */
  workflow?: Workflow;
}

function entry(item: QueueItem): QueueEntry {
  return { number: item[0], promptId: item[1], nodeCount: Object.keys(item[2] ?? {}).length };
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
    history.value = Object.entries(h)
      .map(([id, e]) => ({
        ...(e.prompt ? entry(e.prompt) : { number: 0, nodeCount: 0 }),
        promptId: id,
        status: e.status?.status_str ?? (e.status?.completed ? 'success' : 'unknown'),
        images: Object.values(e.outputs ?? {}).reduce((n, o) => n + (o.images?.length ?? 0), 0),
        workflow: (e.prompt?.[3] as { extra_pnginfo?: { workflow?: Workflow } } | undefined)?.extra_pnginfo?.workflow,
      }))
      .sort((a, b) => b.number - a.number);
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
