// The open workflows, one tab each: which is on the canvas, their names and unsaved marks;
// saving/opening/renaming on the server, templates, runs from the history, download/import,
// and autosave in the browser (every tab, with its view) so a reload loses nothing.
// Only the active tab's graph lives on the canvas; the others wait here as workflows plus
// their undo history, and come back with both when their tab is chosen.
import { defineStore } from 'pinia';
import { computed, ref, toRaw } from 'vue';
import { getApi } from '../api/instance.ts';
import type { Workflow, WorkflowInfo } from '../api/types.ts';
import { workflowFromPng } from '../graph/pngMetadata.ts';
import { useSettingsStore } from './settings.ts';
import { useToastStore } from './toasts.ts';

export interface LoadOptions {
  /** The undo history the document had (from history()); none: it starts over. */
  history?: unknown;
  /** Counts as saved (no unsaved mark) until edited; default true. */
  saved?: boolean;
  /** Frame the graph readably instead of the view stored in the workflow. */
  fit?: boolean;
}

/** What the canvas offers the store. */
export interface GraphHost {
  /** The graph with the current view (extra.ds). */
  serialize(): Workflow;
  load(workflow: Workflow, opts?: LoadOptions): void;
  /** True when the graph differs from the last saved/opened state. */
  isDirty(): boolean;
  markSaved(): void;
  /** The undo history of the document on the canvas, to give back to load(). */
  history?(): unknown;
  /** Frames the graph (templates carry a view for another screen). */
  fitView?(): void;
}

/** One open workflow. */
export interface WorkflowTab {
  id: string;
  /** Name of the saved file on the server; null while it is not saved. */
  name: string | null;
  /** The name it goes by until saved (an imported file's, a run's). */
  draftName: string | null;
  /** The example this document started from, if any. */
  template: string | null;
  dirty: boolean;
}

const TABS_KEY = 'svdiff.tabs';
const TAB_KEY = (id: string) => `svdiff.tab.${id}`;
/** The single-workflow autosave of earlier versions: read once, as one tab. */
const OLD_AUTOSAVE_KEY = 'svdiff.autosave';

interface TabsIndex {
  active: string | null;
  tabs: WorkflowTab[];
}
interface OldAutosave {
  name: string | null;
  template?: string | null;
  dirty: boolean;
  workflow: Workflow;
}

export function isWorkflow(x: unknown): x is Workflow {
  return !!x && typeof x === 'object' && Array.isArray((x as Workflow).nodes);
}

/** A plain deep copy: workflows from stores are reactive proxies, which structuredClone refuses. */
export function plainWorkflow(w: Workflow): Workflow {
  return JSON.parse(JSON.stringify(toRaw(w))) as Workflow;
}

export function tabTitle(t: Pick<WorkflowTab, 'name' | 'draftName' | 'template'>): string {
  return t.name ?? t.draftName ?? (t.template ? `${t.template} (template)` : 'Unsaved workflow');
}

function cleanName(n: string): string {
  return n.trim().replace(/\.json$/i, '');
}

let nextId = 0;
function newTabId(): string {
  return `${Date.now().toString(36)}-${(nextId++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export const useWorkflowsStore = defineStore('workflows', () => {
  let host: GraphHost | undefined;
  const tabs = ref<WorkflowTab[]>([]);
  const activeId = ref<string | null>(null);
  /** The inactive tabs' graphs and undo histories (not reactive: large, and handed to litegraph). */
  const parked = new Map<string, { workflow: Workflow; history?: unknown }>();
  const saved = ref<WorkflowInfo[]>([]);
  const templates = ref<WorkflowInfo[]>([]);

  const active = computed(() => tabs.value.find((t) => t.id === activeId.value));
  const name = computed(() => active.value?.name ?? null);
  const template = computed(() => active.value?.template ?? null);
  const dirty = computed({
    get: () => active.value?.dirty ?? false,
    set: (v: boolean) => {
      if (active.value) active.value.dirty = v;
    },
  });
  const title = computed(() => (active.value ? tabTitle(active.value) : 'Unsaved workflow'));

  /** While a document is being put on the canvas, its changes belong to no tab yet. */
  let loading = false;
  function loadInto(h: GraphHost, w: Workflow, opts: LoadOptions): void {
    loading = true;
    try {
      h.load(w, opts);
    } finally {
      loading = false;
    }
  }

  function attach(h: GraphHost): void {
    host = h;
  }
  function need(): GraphHost {
    if (!host) throw new Error('canvas not ready');
    return host;
  }
  function persisting(): boolean {
    try {
      return useSettingsStore().settings.autosave !== false;
    } catch {
      return true;
    }
  }

  // ---- autosave -------------------------------------------------------------------------

  function writeIndex(): void {
    if (!persisting()) return;
    try {
      const index: TabsIndex = { active: activeId.value, tabs: tabs.value.map((t) => ({ ...toRaw(t) })) };
      localStorage.setItem(TABS_KEY, JSON.stringify(index));
    } catch {
      /* quota: autosave is best effort */
    }
  }
  function writeDoc(id: string, w: Workflow): void {
    if (!persisting()) return;
    try {
      localStorage.setItem(TAB_KEY(id), JSON.stringify(w));
    } catch {
      /* quota */
    }
  }

  /** Keeps the tabs and the active tab's graph (with its view) in the browser. */
  function autosave(): void {
    if (!host || !active.value) return;
    writeDoc(active.value.id, host.serialize());
    writeIndex();
  }

  /** The canvas calls this after each change. */
  function changed(): void {
    if (!host || !active.value || loading) return;
    active.value.dirty = host.isDirty();
    autosave();
  }

  /** Restores the autosaved tabs; false when there are none. */
  function restoreAutosave(): boolean {
    if (!persisting()) return false;
    let index: TabsIndex | undefined;
    try {
      const raw = localStorage.getItem(TABS_KEY);
      if (raw) index = JSON.parse(raw) as TabsIndex;
    } catch {
      index = undefined;
    }
    const restored: WorkflowTab[] = [];
    if (index && Array.isArray(index.tabs)) {
      for (const t of index.tabs) {
        try {
          const w = JSON.parse(localStorage.getItem(TAB_KEY(t.id)) ?? 'null') as unknown;
          if (!isWorkflow(w)) continue;
          parked.set(t.id, { workflow: w });
          restored.push({ id: t.id, name: t.name ?? null, draftName: t.draftName ?? null, template: t.template ?? null, dirty: !!t.dirty });
        } catch {
          /* a damaged tab is dropped */
        }
      }
    } else {
      try {
        const old = JSON.parse(localStorage.getItem(OLD_AUTOSAVE_KEY) ?? 'null') as OldAutosave | null;
        if (old && isWorkflow(old.workflow)) {
          const id = newTabId();
          parked.set(id, { workflow: old.workflow });
          restored.push({ id, name: old.name ?? null, draftName: null, template: old.template ?? null, dirty: !!old.dirty });
          localStorage.removeItem(OLD_AUTOSAVE_KEY);
        }
      } catch {
        /* nothing to migrate */
      }
    }
    // Graphs of tabs no longer listed (a close interrupted by the page going away) are dropped.
    try {
      const keep = new Set(restored.map((t) => TAB_KEY(t.id)));
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const k = localStorage.key(i);
        if (k?.startsWith(TAB_KEY('')) && !keep.has(k)) localStorage.removeItem(k);
      }
    } catch {
      /* storage unavailable */
    }
    if (restored.length === 0) return false;
    tabs.value = restored;
    const first = tabs.value.find((t) => t.id === index?.active) ?? tabs.value[0];
    activeId.value = null;
    try {
      show(first);
    } catch (e) {
      // A graph the canvas cannot load: the others stay (or a first visit's template opens).
      tabs.value = tabs.value.filter((t) => t.id !== first.id);
      const rest = tabs.value;
      useToastStore().show(`Could not restore "${tabTitle(first)}": ${(e as Error).message}`, 'error');
      if (rest.length === 0) return false;
      show(rest[0]);
    }
    return true;
  }

  // ---- tabs -----------------------------------------------------------------------------

  /** Puts the active tab's graph aside (with its view and undo history). */
  function park(): void {
    const t = active.value;
    if (!t || !host) return;
    const workflow = host.serialize();
    parked.set(t.id, { workflow, history: host.history?.() });
    writeDoc(t.id, workflow);
  }

  /** Shows a parked tab on the canvas. */
  function show(t: WorkflowTab, fit = false): void {
    const p = parked.get(t.id);
    if (!p) throw new Error(`tab ${t.id} has no graph`);
    const h = need();
    loadInto(h, p.workflow, { history: p.history, saved: !t.dirty, fit });
    parked.delete(t.id);
    activeId.value = t.id;
    t.dirty = h.isDirty();
    autosave();
  }

  function switchTo(id: string): boolean {
    if (id === activeId.value) return true;
    const t = tabs.value.find((x) => x.id === id);
    if (!t) return false;
    park();
    show(t);
    return true;
  }

  /** An empty, unnamed, unchanged tab: the next document takes its place. */
  function isBlank(t: WorkflowTab | undefined): boolean {
    if (!t || t.name || t.dirty || !host) return false;
    return (host.serialize().nodes ?? []).length === 0;
  }

  /** Opens a document in a tab of its own (the blank active tab, if that is what is open). */
  function openInTab(workflow: Workflow, meta: Omit<WorkflowTab, 'id' | 'dirty'>, opts: { saved?: boolean; fit?: boolean } = {}): WorkflowTab {
    const h = need();
    const copy = plainWorkflow(workflow);
    const reuse = isBlank(active.value) ? active.value : undefined;
    const previous = active.value;
    if (!reuse) park();
    try {
      loadInto(h, copy, { saved: opts.saved ?? true, fit: opts.fit });
    } catch (e) {
      // Never leave the canvas blank: the document that was there comes back.
      if (previous && !reuse) show(previous);
      throw e;
    }
    if (reuse) Object.assign(reuse, meta);
    else tabs.value.push({ id: newTabId(), ...meta, dirty: false });
    const t = reuse ?? tabs.value[tabs.value.length - 1];
    activeId.value = t.id;
    t.dirty = h.isDirty();
    autosave();
    return t;
  }

  /** Asks before throwing away unsaved changes of a tab (the active one by default). */
  function confirmDiscard(t: WorkflowTab | undefined = active.value): boolean {
    return !t?.dirty || window.confirm(`Close "${tabTitle(t)}" and discard its unsaved changes?`);
  }

  /** Closes a tab, asking first when it has unsaved changes; the last tab gives way to an empty one. */
  function closeTab(id: string, empty?: Workflow): boolean {
    const i = tabs.value.findIndex((t) => t.id === id);
    if (i < 0) return false;
    const t = tabs.value[i];
    if (!confirmDiscard(t)) return false;
    parked.delete(id);
    try {
      localStorage.removeItem(TAB_KEY(id));
    } catch {
      /* nothing stored */
    }
    const wasActive = id === activeId.value;
    tabs.value.splice(i, 1);
    if (wasActive) {
      activeId.value = null;
      const next = tabs.value[Math.min(i, tabs.value.length - 1)];
      if (next) show(next);
      else openInTab(empty ?? { last_node_id: 0, last_link_id: 0, nodes: [], links: [], groups: [], config: {}, extra: {}, version: 0.4 }, { name: null, draftName: null, template: null });
    }
    writeIndex();
    return true;
  }

  // ---- server ---------------------------------------------------------------------------

  async function refreshList(): Promise<void> {
    saved.value = (await getApi().listWorkflows()).sort((a, b) => a.name.localeCompare(b.name));
  }

  async function refreshTemplates(): Promise<void> {
    templates.value = await getApi().listTemplates();
  }

  /** Opens a saved workflow: its tab if it is open, else a new tab. */
  async function open(n: string): Promise<boolean> {
    const there = tabs.value.find((t) => t.name === n);
    if (there) return switchTo(there.id);
    openInTab(await getApi().getWorkflow(n), { name: n, draftName: null, template: null });
    return true;
  }

  /** A template opens as a new, unsaved workflow in its own tab, framed to be readable. */
  async function openTemplate(n: string): Promise<boolean> {
    openInTab(await getApi().getTemplate(n), { name: null, draftName: null, template: n }, { fit: true });
    return true;
  }

  async function saveAs(n: string): Promise<void> {
    const clean = cleanName(n);
    if (!clean) throw new Error('a workflow needs a name');
    const t = active.value;
    if (!t) throw new Error('no workflow is open');
    await getApi().saveWorkflow(clean, need().serialize());
    // Another tab showing the file just overwritten no longer matches it.
    for (const o of tabs.value) if (o !== t && o.name === clean) Object.assign(o, { name: null, draftName: clean, dirty: true });
    Object.assign(t, { name: clean, draftName: null, template: null });
    need().markSaved();
    t.dirty = false;
    autosave();
    await refreshList().catch(() => {});
  }

  /** Saves under the current name; returns false when it has none yet (ask for one). */
  async function save(): Promise<boolean> {
    if (!name.value) return false;
    await saveAs(name.value);
    return true;
  }

  /** The name to offer when asking for one (Save As). */
  const suggestedName = computed(() => active.value?.name ?? active.value?.draftName ?? active.value?.template ?? 'my workflow');

  async function remove(n: string): Promise<void> {
    await getApi().deleteWorkflow(n);
    // Open tabs keep the graph, now as an unsaved document under the old name.
    for (const t of tabs.value) if (t.name === n) Object.assign(t, { name: null, draftName: n, dirty: true });
    writeIndex();
    await refreshList();
  }

  /** Renames a saved workflow's file; open tabs of it follow. */
  async function rename(from: string, to: string, overwrite = false): Promise<string> {
    const clean = cleanName(to);
    if (!clean) throw new Error('a workflow needs a name');
    const res = await getApi().renameWorkflow(from, clean, overwrite);
    for (const t of tabs.value) {
      if (t.name === res.name && res.name !== from) Object.assign(t, { name: null, draftName: res.name, dirty: true });
    }
    for (const t of tabs.value) if (t.name === from) t.name = res.name;
    writeIndex();
    await refreshList();
    return res.name;
  }

  /** Renames a tab: a saved one renames its file, an unsaved one only its title. */
  async function renameTab(id: string, to: string): Promise<void> {
    const t = tabs.value.find((x) => x.id === id);
    const clean = cleanName(to);
    if (!t || !clean) return;
    if (t.name) await rename(t.name, clean);
    else {
      t.draftName = clean;
      writeIndex();
    }
  }

  function newWorkflow(empty: Workflow): boolean {
    openInTab(empty, { name: null, draftName: null, template: null });
    return true;
  }

  /** Opens a workflow held in memory (a past run) in a new tab; a message when there is none. */
  function openWorkflow(w: Workflow | undefined | null, as: string | null = null): boolean {
    if (!w || !isWorkflow(toRaw(w))) {
      useToastStore().show('This run has no workflow to open (it was queued without one)', 'error');
      return false;
    }
    try {
      openInTab(w, { name: null, draftName: as, template: null });
      return true;
    } catch (e) {
      useToastStore().show(`Could not open the workflow: ${(e as Error).message}`, 'error');
      return false;
    }
  }

  function download(): void {
    const blob = new Blob([JSON.stringify(need().serialize(), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${name.value ?? active.value?.draftName ?? template.value ?? 'workflow'}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** A workflow JSON or a studio-saved PNG, in a new tab named after the file; false when the file holds no workflow. */
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
    openInTab(wf, { name: null, draftName: file.name.replace(/\.(json|png)$/i, '') || null, template: null });
    return true;
  }

  return {
    tabs,
    activeId,
    name,
    template,
    dirty,
    saved,
    templates,
    title,
    suggestedName,
    attach,
    changed,
    autosave,
    restoreAutosave,
    confirmDiscard,
    switchTo,
    closeTab,
    refreshList,
    refreshTemplates,
    open,
    openTemplate,
    save,
    saveAs,
    remove,
    rename,
    renameTab,
    newWorkflow,
    openWorkflow,
    download,
    importFile,
  };
});
