// What each command of the keybinding table does, run by keys (one dispatcher on the window),
// by buttons and by menus alike. installEditor() puts the dispatcher, the user's settings and
// the theme in place once, from App.vue.
import { watch } from 'vue';
import { useExecutionStore } from '../stores/execution.ts';
import { useNodeDefsStore } from '../stores/nodeDefs.ts';
import { useQueueStore } from '../stores/queue.ts';
import { useSettingsStore } from '../stores/settings.ts';
import { useToastStore } from '../stores/toasts.ts';
import { useWorkflowsStore } from '../stores/workflows.ts';
import { defaultBindings, effectiveBindings, keysOf, KeyDispatcher, type Keybinding } from './keybindings.ts';
import { saveWorkflow } from './saveWorkflow.ts';
import { getStudio, queueCurrent } from './studio.ts';
import { applyTheme } from './theme.ts';

/** Canvas operations another part of the client provides; absent ones leave the key alone. */
interface CanvasOps {
  fitView(): void;
  zoomBy?(factor: number): void;
  groupSelected?(): unknown;
  toggleCollapseSelected?(): unknown;
  togglePinSelected?(): unknown;
}

/** A command's action; false: it had nothing to do, so the key keeps its default behaviour. */
export type CommandRun = () => boolean | void;

const DEFAULTS = defaultBindings();

/** The bindings in force: the table's defaults with the user's changes. */
export function currentBindings(): Keybinding[] {
  const s = useSettingsStore().settings;
  return effectiveBindings(DEFAULTS, s.keybindings, s.unsetKeybindings);
}

/** The first key combo of a command, for tooltips: 'Ctrl+Enter', or ''. */
export function keyHint(commandId: string): string {
  return keysOf(currentBindings(), commandId)[0] ?? '';
}

/** Queues the workflow `settings.batchCount` times; seeds move on between runs per their control. */
export async function queueBatch(front = false): Promise<string[]> {
  const count = Math.max(1, Math.min(100, Math.floor(useSettingsStore().settings.batchCount) || 1));
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = await queueCurrent(front);
    if (!id) break;
    ids.push(id);
  }
  return ids;
}

export async function interruptRunning(): Promise<void> {
  const toasts = useToastStore();
  if (!useExecutionStore().promptId) {
    toasts.show('Nothing is running');
    return;
  }
  try {
    await useQueueStore().interrupt();
    toasts.show('Interrupted the running prompt');
  } catch (e) {
    toasts.show(`Interrupt failed: ${(e as Error).message}`, 'error');
  }
}

/** Asks for a workflow JSON or a saved PNG and opens it. */
export function openWorkflowFile(): void {
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = 'application/json,.json,image/png';
  input.onchange = async () => {
    const f = input.files?.[0];
    if (f && !(await useWorkflowsStore().importFile(f))) useToastStore().show(`${f.name} holds no workflow`, 'error');
  };
  input.click();
}

async function reloadNodeDefinitions(): Promise<void> {
  const toasts = useToastStore();
  try {
    const defs = await useNodeDefsStore().load();
    getStudio()?.setNodeTypes(defs);
    toasts.show('Node definitions reloaded', 'success');
  } catch (e) {
    toasts.show(`Could not reload node definitions: ${(e as Error).message}`, 'error');
  }
}

function canvas(): (ReturnType<typeof getStudio> & Partial<CanvasOps>) | undefined {
  return getStudio() as (ReturnType<typeof getStudio> & Partial<CanvasOps>) | undefined;
}

/** Runs a canvas operation on the selection; false when there is no canvas or no such operation. */
function onCanvas(op: (s: NonNullable<ReturnType<typeof canvas>>) => unknown): boolean {
  const s = canvas();
  if (!s) return false;
  const r = op(s);
  if (r === false || r === undefined) return false;
  s.canvas.setDirty(true, true);
  s.tracker.check();
  return true;
}

const extra = new Map<string, CommandRun>();

/** Another part of the client adds a command (list it in keybindings.ts to give it keys). */
export function registerCommand(id: string, run: CommandRun): void {
  extra.set(id, run);
}

const RUNS: Record<string, CommandRun> = {
  'Comfy.QueuePrompt': () => void queueBatch(false),
  'Comfy.QueuePromptFront': () => void queueBatch(true),
  'Comfy.Interrupt': () => void interruptRunning(),
  'Comfy.SaveWorkflow': () => void saveWorkflow(false),
  'Comfy.OpenWorkflow': () => openWorkflowFile(),
  'Comfy.Undo': () => void getStudio()?.undo(),
  'Comfy.Redo': () => void getStudio()?.redo(),
  'Comfy.ShowSettingsDialog': () => {
    const s = useSettingsStore();
    s.dialogOpen = !s.dialogOpen;
  },
  'Comfy.RefreshNodeDefinitions': () => void reloadNodeDefinitions(),
  'Workspace.ToggleSidebarTab.queue': () => useSettingsStore().toggleTab('queue'),
  'Workspace.ToggleSidebarTab.workflows': () => useSettingsStore().toggleTab('workflows'),
  'Workspace.ToggleSidebarTab.node-library': () => useSettingsStore().toggleTab('nodes'),
  'Workspace.ToggleSidebarTab.templates': () => useSettingsStore().toggleTab('templates'),
  'Workspace.ToggleSidebarTab.gallery': () => useSettingsStore().toggleTab('gallery'),
  'Comfy.Canvas.FitView': () => onCanvas((s) => (s.fitView(), true)),
  'Comfy.Canvas.ZoomIn': () => onCanvas((s) => s.zoomBy && (s.zoomBy(1.1), true)),
  'Comfy.Canvas.ZoomOut': () => onCanvas((s) => s.zoomBy && (s.zoomBy(1 / 1.1), true)),
  'Comfy.Graph.GroupSelectedNodes': () => onCanvas((s) => s.groupSelected && (s.groupSelected() ?? true)),
  'Comfy.Canvas.ToggleSelectedNodes.Collapse': () => onCanvas((s) => s.toggleCollapseSelected && (s.toggleCollapseSelected() ?? true)),
  'Comfy.Canvas.ToggleSelected.Pin': () => onCanvas((s) => s.togglePinSelected && (s.togglePinSelected() ?? true)),
  'Comfy.Canvas.ToggleSelectedNodes.Bypass': () => getStudio()?.toggleMode(4) ?? false,
  'Comfy.Canvas.ToggleSelectedNodes.Mute': () => getStudio()?.toggleMode(2) ?? false,
  'Comfy.Canvas.DeleteSelectedItems': () => onCanvas((s) => s.canvas.selectedItems.size > 0 && (s.canvas.deleteSelected(), true)),
  'Comfy.Canvas.SelectAll': () => onCanvas((s) => (s.canvas.selectItems(), true)),
};

/** Runs a command by id; false when it is unknown or had nothing to do. */
export function runCommand(id: string): boolean {
  const run = RUNS[id] ?? extra.get(id);
  if (!run) return false;
  return run() !== false;
}

/** The keys, the user's settings (from the server) and the theme; returns the undo. */
export function installEditor(): () => void {
  const settings = useSettingsStore();
  const keys = new KeyDispatcher(currentBindings, (id) => runCommand(id));
  window.addEventListener('keydown', keys.handle);
  const stopTheme = watch(() => settings.settings.theme, (t) => applyTheme(t, getStudio()), { immediate: true });
  void settings.load();
  return () => {
    window.removeEventListener('keydown', keys.handle);
    stopTheme();
  };
}
