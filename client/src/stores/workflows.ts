// The open workflow: its name, unsaved changes, saving/opening on the server, templates,
// download/import, and autosave in the browser so a reload loses nothing.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { getApi } from '../api/instance.ts';
import type { Workflow, WorkflowInfo } from '../api/types.ts';
import { workflowFromPng } from '../graph/pngMetadata.ts';

/** What the canvas offers the store. */
export interface GraphHost {
  serialize(): Workflow;
  load(workflow: Workflow): void;
  /** True when the graph differs from the last saved/opened state. */
  isDirty(): boolean;
  markSaved(): void;
  /** Frames the whole graph (templates carry a view for another screen). */
  fitView?(): void;
}

const AUTOSAVE_KEY = 'svdiff.autosave';

interface Autosaved {
  name: string | null;
  template?: string | null;
  dirty: boolean;
  workflow: Workflow;
}

export function isWorkflow(x: unknown): x is Workflow {
  return !!x && typeof x === 'object' && Array.isArray((x as Workflow).nodes);
}

export const useWorkflowsStore = defineStore('workflows', () => {
  let host: GraphHost | undefined;
  const name = ref<string | null>(null);
  const dirty = ref(false);
  const saved = ref<WorkflowInfo[]>([]);
  const templates = ref<WorkflowInfo[]>([]);
  /** The example this unsaved document started from, if any. */
  const template = ref<string | null>(null);
  const title = computed(() => name.value ?? (template.value ? `${template.value} (template)` : 'Unsaved workflow'));

  function attach(h: GraphHost): void {
    host = h;
  }
  function need(): GraphHost {
    if (!host) throw new Error('canvas not ready');
    return host;
  }

  /** The canvas calls this after each change. */
  function changed(): void {
    dirty.value = host?.isDirty() ?? false;
    autosave();
  }

  function autosave(): void {
    if (!host) return;
    try {
      const data: Autosaved = { name: name.value, template: template.value, dirty: dirty.value, workflow: host.serialize() };
      localStorage.setItem(AUTOSAVE_KEY, JSON.stringify(data));
    } catch {
      /* quota: autosave is best effort */
    }
  }

  /** Restores the autosaved workflow; false when there is none. */
  function restoreAutosave(): boolean {
    const raw = localStorage.getItem(AUTOSAVE_KEY);
    if (!raw) return false;
    try {
      const data = JSON.parse(raw) as Autosaved;
      if (!isWorkflow(data.workflow)) return false;
      need().load(data.workflow);
      name.value = data.name;
      template.value = data.template ?? null;
      if (!data.dirty) need().markSaved();
      dirty.value = data.dirty;
      return true;
    } catch {
      return false;
    }
  }

  /** Asks before throwing away unsaved changes. */
  function confirmDiscard(): boolean {
    return !dirty.value || window.confirm(`Discard unsaved changes to "${title.value}"?`);
  }

  function loadAs(workflow: Workflow, newName: string | null, asSaved: boolean, fromTemplate: string | null = null): void {
    need().load(workflow);
    name.value = newName;
    template.value = fromTemplate;
    if (asSaved) need().markSaved();
    dirty.value = !asSaved;
    autosave();
  }

  async function refreshList(): Promise<void> {
    saved.value = (await getApi().listWorkflows()).sort((a, b) => a.name.localeCompare(b.name));
  }

  async function refreshTemplates(): Promise<void> {
    templates.value = await getApi().listTemplates();
  }

  async function open(n: string): Promise<boolean> {
    if (!confirmDiscard()) return false;
    loadAs(await getApi().getWorkflow(n), n, true);
    return true;
  }

  async function openTemplate(n: string): Promise<boolean> {
    if (!confirmDiscard()) return false;
    // A template opens as a new, unsaved workflow: saving it never overwrites the example.
    loadAs(await getApi().getTemplate(n), null, false, n);
    need().fitView?.();
    return true;
  }

  async function saveAs(n: string): Promise<void> {
    const clean = n.trim().replace(/\.json$/, '');
    if (!clean) throw new Error('a workflow needs a name');
    await getApi().saveWorkflow(clean, need().serialize());
    name.value = clean;
    template.value = null;
    need().markSaved();
    dirty.value = false;
    autosave();
    await refreshList().catch(() => {});
  }

  /** Saves under the current name; returns false when it has none yet (ask for one). */
  async function save(): Promise<boolean> {
    if (!name.value) return false;
    await saveAs(name.value);
    return true;
  }

  async function remove(n: string): Promise<void> {
    await getApi().deleteWorkflow(n);
    if (name.value === n) {
      name.value = null;
      dirty.value = true;
    }
    await refreshList();
  }

  function newWorkflow(empty: Workflow): boolean {
    if (!confirmDiscard()) return false;
    loadAs(empty, null, true);
    return true;
  }

  /** Opens a workflow held in memory (a past run) as a new, unsaved document. */
  function openWorkflow(w: Workflow): boolean {
    if (!confirmDiscard()) return false;
    loadAs(w, null, false);
    return true;
  }

  function download(): void {
    const blob = new Blob([JSON.stringify(need().serialize(), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${name.value ?? 'workflow'}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** A workflow JSON or a studio-saved PNG; returns false when the file holds no workflow. */
  async function importFile(file: File): Promise<boolean> {
    let wf: unknown;
    if (file.type === 'image/png' || file.name.toLowerCase().endsWith('.png')) wf = workflowFromPng(await file.arrayBuffer());
    else {
      try {
        wf = JSON.parse(await file.text());
      } catch {
        return false;
      }
    }
    if (!isWorkflow(wf)) return false;
    if (!confirmDiscard()) return true;
    loadAs(wf, null, false);
    return true;
  }

  return {
    name,
    template,
    dirty,
    saved,
    templates,
    title,
    attach,
    changed,
    autosave,
    restoreAutosave,
    confirmDiscard,
    refreshList,
    refreshTemplates,
    open,
    openTemplate,
    save,
    saveAs,
    remove,
    newWorkflow,
    openWorkflow,
    download,
    importFile,
  };
});
