// Wires the canvas to the stores and the API: node types from object_info, queueing
// (prompt conversion, seed control, validation errors), uploads and file drops.
import type { LGraphNode } from '@comfyorg/litegraph';
import { ApiError } from '../api/client.ts';
import { getApi } from '../api/instance.ts';
import type { Workflow } from '../api/types.ts';
import { applySeedControl } from '../graph/applySeedControl.ts';
import type { NodeEnv } from '../graph/nodeClass.ts';
import { getLive, updateLive } from '../graph/live.ts';
import { StudioCanvas } from '../graph/studioCanvas.ts';
import { workflowToPrompt } from '../graph/workflowToPrompt.ts';
import { useExecutionStore } from '../stores/execution.ts';
import { useNodeDefsStore } from '../stores/nodeDefs.ts';
import { useQueueStore } from '../stores/queue.ts';
import { useSettingsStore } from '../stores/settings.ts';
import { useToastStore } from '../stores/toasts.ts';
import { useWorkflowsStore } from '../stores/workflows.ts';
import { disableSubgraphConversion } from '../graph/noSubgraphs.ts';
import { workflowHost } from './workflowHost.ts';
import { withNode } from './errorText.ts';
import { applyTheme } from './theme.ts';

export const EMPTY_WORKFLOW: Workflow = { last_node_id: 0, last_link_id: 0, nodes: [], links: [], groups: [], config: {}, extra: {}, version: 0.4 };

let studio: StudioCanvas | undefined;

export function getStudio(): StudioCanvas | undefined {
  return studio;
}

type W = { name: string; value: unknown; options: { values?: string[]; image_upload?: boolean } };

function nodeEnv(): NodeEnv {
  const api = getApi();
  const settings = useSettingsStore();
  return {
    inputImageUrl: (name) => api.viewUrl({ filename: name, subfolder: '', type: 'input' }),
    defaultControl: () => settings.settings.seedControl,
    showInputImage: (node, name) => updateLive(node.id, { images: name ? [api.viewUrl({ filename: name, subfolder: '', type: 'input' })] : [] }),
    requestUpload: (node, widgetName) => {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = 'image/png,image/jpeg,image/webp';
      input.onchange = () => {
        const file = input.files?.[0];
        if (file) void uploadInto(node, widgetName, file);
      };
      input.click();
    },
  };
}

/** Uploads an image and selects it in the node's image combo. */
export async function uploadInto(node: LGraphNode, widgetName: string, file: File): Promise<void> {
  const toasts = useToastStore();
  try {
    const res = await getApi().uploadImage(file, file.name);
    const name = res.subfolder ? `${res.subfolder}/${res.name}` : res.name;
    const w = (node.widgets as unknown as W[]).find((x) => x.name === widgetName);
    if (w) {
      const values = w.options.values ?? [];
      if (!values.includes(name)) values.push(name);
      w.value = name;
    }
    updateLive(node.id, { images: [getApi().viewUrl({ filename: res.name, subfolder: res.subfolder ?? '', type: 'input' })] });
    studio?.tracker.check();
    toasts.show(`Uploaded ${name}`, 'success');
  } catch (e) {
    toasts.show(`Upload failed: ${(e as Error).message}`, 'error');
  }
}

export async function startStudio(el: HTMLCanvasElement): Promise<StudioCanvas> {
  const defsStore = useNodeDefsStore();
  const workflows = useWorkflowsStore();
  const toasts = useToastStore();
  studio = new StudioCanvas(el, { env: nodeEnv(), onChange: () => workflows.changed() });
  const s = studio;
  applyTheme(useSettingsStore().settings.theme, s);
  // Like ComfyUI's window.app: for the browser console, tests and benchmarks.
  (window as unknown as { svdiff: unknown }).svdiff = { studio: s, queue: queueCurrent, api: getApi(), live: getLive };
  workflows.attach(workflowHost(s));
  disableSubgraphConversion((m) => toasts.show(m, 'error'));
  useExecutionStore().bind();
  useQueueStore().bind();
  getApi().on('connected', ({ reconnect }) => {
    if (reconnect) {
      toasts.show('Reconnected to the server', 'success');
      // The server may have new nodes or files (combo options) after a restart.
      void defsStore.load().then((d) => s.setNodeTypes(d)).catch(() => {});
    }
  });
  // The message names the node once (the server labels input errors itself).
  getApi().on('execution_error', (d) => toasts.show(withNode(d.exception_message, d.node_id, d.node_type), 'error'));
  getApi().connect();
  try {
    s.setNodeTypes(await defsStore.load());
  } catch (e) {
    toasts.show(`Could not load node definitions: ${(e as Error).message}`, 'error');
  }
  if (!workflows.restoreAutosave()) await openFirstTemplate();
  void getApi()
    .getHistory()
    .then((h) => useExecutionStore().galleryFromHistory(h))
    .catch(() => {});
  void workflows.refreshList().catch(() => {});
  void workflows.refreshTemplates().catch(() => {});
  return s;
}

/** Examples a first visit prefers (the main SVDiff flow), before any other template. */
const FIRST_TEMPLATES = ['default', 'svdiff-personalize'];

/** A first-time user starts from an example workflow when the server offers one. */
async function openFirstTemplate(): Promise<void> {
  const workflows = useWorkflowsStore();
  try {
    await workflows.refreshTemplates();
    const names = workflows.templates.map((t) => t.name);
    const first = FIRST_TEMPLATES.find((n) => names.includes(n)) ?? names[0];
    if (first) {
      await workflows.openTemplate(first);
      return;
    }
  } catch {
    /* no templates: start empty */
  }
  workflows.newWorkflow(EMPTY_WORKFLOW);
}

/** Converts the graph and queues it (Queue button, Ctrl+Enter). */
export async function queueCurrent(front = false): Promise<string | undefined> {
  if (!studio) return undefined;
  const exec = useExecutionStore();
  const toasts = useToastStore();
  const defs = useNodeDefsStore().defs;
  const workflow = studio.serialize();
  let prompt;
  try {
    prompt = workflowToPrompt(workflow, defs);
  } catch (e) {
    // An unknown node type, or links that loop through reroutes: the message names the node.
    toasts.show(`Cannot queue: ${(e as Error).message}`, 'error');
    return undefined;
  }
  if (Object.keys(prompt).length === 0) {
    toasts.show('Nothing to run: add nodes to the canvas first', 'error');
    return undefined;
  }
  exec.clearErrors();
  try {
    const res = await getApi().queuePrompt(prompt, workflow, front);
    exec.notePrompt(res.prompt_id, Object.keys(prompt).length);
    applySeedControl(studio.graph);
    studio.canvas.setDirty(true, true);
    studio.tracker.check();
    useQueueStore().refreshSoon(0);
    return res.prompt_id;
  } catch (e) {
    if (e instanceof ApiError && Object.keys(e.nodeErrors).length > 0) {
      exec.showValidationErrors(e.nodeErrors);
      const first = Object.entries(e.nodeErrors)[0];
      const msg = first[1].errors?.[0];
      const details = msg?.details && !msg.message.includes(msg.details) ? ` — ${msg.details}` : '';
      toasts.show(`Prompt rejected: ${withNode(msg?.message ?? 'invalid', first[0], first[1].class_type)}${details}`, 'error');
    } else toasts.show(`Queue failed: ${(e as Error).message}`, 'error');
    return undefined;
  }
}
