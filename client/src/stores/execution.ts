// Live execution state from the WebSocket: which prompt and node run, per-node and overall
// progress, loss curves, previews, outputs (and the gallery), runtime and validation errors.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { getApi } from '../api/instance.ts';
import type { ClientEvents, History, ImageRef, NodeErrors } from '../api/types.ts';
import { clearLiveField, getLive, updateLive } from '../graph/live.ts';

export interface GalleryItem {
  url: string;
  ref: ImageRef;
  promptId: string;
  nodeId: string;
}

export interface NodeFailure {
  nodeId: string;
  nodeType: string;
  message: string;
}

export const useExecutionStore = defineStore('execution', () => {
  const connected = ref(false);
  const queueRemaining = ref(0);
  const promptId = ref<string | null>(null);
  const runningNode = ref<string | null>(null);
  const nodeProgress = ref<{ value: number; max: number } | null>(null);
  const lastLoss = ref<number | null>(null);
  const gallery = ref<GalleryItem[]>([]);
  const lastError = ref<NodeFailure | null>(null);
  /** Node counts of prompts this tab queued (for the overall progress bar). */
  const promptSizes = new Map<string, number>();
  const total = ref(0);
  const done = ref(new Set<string>());
  let previewUrl: string | null = null;

  const overall = computed(() => {
    const frac = nodeProgress.value && nodeProgress.value.max > 0 ? nodeProgress.value.value / nodeProgress.value.max : 0;
    if (!promptId.value) return 0;
    // A prompt queued elsewhere (another tab, the CLI): only the running node's progress is known.
    if (total.value === 0) return frac;
    const running = runningNode.value && !done.value.has(runningNode.value) ? frac : 0;
    return Math.min(1, (done.value.size + running) / total.value);
  });

  function notePrompt(id: string, nodeCount: number): void {
    promptSizes.set(id, nodeCount);
  }

  function start(id: string): void {
    promptId.value = id;
    total.value = promptSizes.get(id) ?? 0;
    done.value = new Set();
    runningNode.value = null;
    nodeProgress.value = null;
    lastError.value = null;
    clearLiveField('running');
    clearLiveField('progress');
    clearLiveField('error');
    clearLiveField('inputErrors');
  }

  function finishNode(id: string | null): void {
    if (!id) return;
    done.value.add(id);
    updateLive(id, { running: false, progress: undefined });
  }

  const handlers: { [K in keyof ClientEvents]?: (d: ClientEvents[K]) => void } = {
    connected: () => {
      connected.value = true;
    },
    disconnected: () => {
      connected.value = false;
    },
    status: (d) => {
      queueRemaining.value = d.status?.exec_info?.queue_remaining ?? queueRemaining.value;
    },
    execution_start: (d) => start(d.prompt_id),
    execution_cached: (d) => {
      if (d.prompt_id !== promptId.value) start(d.prompt_id);
      for (const n of d.nodes) done.value.add(String(n));
    },
    executing: (d) => {
      // `executing` null closes a prompt after its outcome (ComfyUI's order): it starts nothing.
      if (d.node && d.prompt_id && d.prompt_id !== promptId.value) start(d.prompt_id);
      if (runningNode.value && runningNode.value !== d.node) finishNode(runningNode.value);
      runningNode.value = d.node;
      nodeProgress.value = null;
      if (d.node) {
        // A fresh run of this node replaces its old loss curve.
        updateLive(d.node, { running: true, progress: 0, error: undefined, loss: undefined });
      } else promptId.value = null;
    },
    progress: (d) => {
      nodeProgress.value = { value: d.value, max: d.max };
      const patch: Parameters<typeof updateLive>[1] = { progress: d.max > 0 ? d.value / d.max : 0, running: true };
      if (typeof d.loss === 'number') {
        lastLoss.value = d.loss;
        patch.loss = [...(getLive(d.node)?.loss ?? []), d.loss];
      }
      updateLive(d.node, patch);
    },
    b_preview: (d) => {
      const node = runningNode.value;
      if (!node || typeof URL.createObjectURL !== 'function') return;
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(d.blob);
      updateLive(node, { images: [previewUrl] });
    },
    executed: (d) => {
      const images = d.output?.images ?? [];
      const api = getApi();
      if (images.length > 0) {
        const urls = images.map((r) => api.viewUrl(r));
        updateLive(d.node, { images: urls });
        images.forEach((ref, i) => gallery.value.unshift({ url: urls[i], ref, promptId: d.prompt_id, nodeId: d.node }));
        if (gallery.value.length > 200) gallery.value.length = 200;
      }
      finishNode(d.node);
    },
    execution_error: (d) => {
      lastError.value = { nodeId: String(d.node_id), nodeType: d.node_type, message: d.exception_message };
      const prefix = d.exception_type && d.exception_type !== 'Error' && !d.input_name ? `${d.exception_type}: ` : '';
      // An error about one input names it: mark it like a validation error.
      const input = d.input_name;
      updateLive(d.node_id, {
        running: false,
        progress: undefined,
        error: `${prefix}${d.exception_message}`,
        inputErrors: input ? new Map([[input, d.exception_message]]) : undefined,
      });
      end();
    },
    execution_interrupted: () => end(),
    execution_success: () => end(),
  };

  function end(): void {
    if (runningNode.value) updateLive(runningNode.value, { running: false, progress: undefined });
    runningNode.value = null;
    nodeProgress.value = null;
    promptId.value = null;
    clearLiveField('running');
  }

  /** Marks the inputs a rejected prompt named (validation errors). */
  function showValidationErrors(nodeErrors: Record<string, NodeErrors>): void {
    clearLiveField('inputErrors');
    for (const [id, e] of Object.entries(nodeErrors)) {
      const map = new Map<string, string>();
      for (const err of e.errors ?? []) {
        const input = err.extra_info?.input_name ?? '';
        const text = err.details ? `${err.message}: ${err.details}` : err.message;
        map.set(input, map.has(input) ? `${map.get(input)}\n${text}` : text);
      }
      if (!map.has('')) map.set('', [...map.values()].join('\n'));
      updateLive(id, { inputErrors: map });
    }
  }

  function clearErrors(): void {
    clearLiveField('inputErrors');
    clearLiveField('error');
    lastError.value = null;
  }

  /** Fills the gallery with the images of past runs (after a reload). */
  function galleryFromHistory(history: History): void {
    const api = getApi();
    const items: GalleryItem[] = [];
    const entries = Object.entries(history).sort((a, b) => (b[1].prompt?.[0] ?? 0) - (a[1].prompt?.[0] ?? 0));
    for (const [promptId, e] of entries) {
      for (const [nodeId, out] of Object.entries(e.outputs ?? {})) {
        for (const ref of out.images ?? []) if (ref.type === 'output') items.push({ url: api.viewUrl(ref), ref, promptId, nodeId });
      }
    }
    const seen = new Set(gallery.value.map((g) => g.url));
    gallery.value.push(...items.filter((i) => !seen.has(i.url)).slice(0, 200));
  }

  /** Subscribes to the API client's events; returns the unsubscribe function. */
  function bind(): () => void {
    const api = getApi();
    const offs = Object.entries(handlers).map(([type, fn]) => api.on(type as keyof ClientEvents, fn as (d: unknown) => void));
    return () => offs.forEach((off) => off());
  }

  return {
    connected,
    queueRemaining,
    promptId,
    runningNode,
    nodeProgress,
    lastLoss,
    gallery,
    lastError,
    overall,
    total,
    notePrompt,
    showValidationErrors,
    clearErrors,
    galleryFromHistory,
    bind,
    handle: handlers,
  };
});
