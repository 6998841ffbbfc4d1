import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { reactive } from 'vue';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import type { Workflow } from '../api/types.ts';
import { ChangeTracker, type TrackerHistory } from '../graph/changeTracker.ts';
import { useWorkflowsStore, type GraphHost, type LoadOptions } from './workflows.ts';
import { useToastStore } from './toasts.ts';
import { fakeFetch, memoryStorage, type FetchCall } from '../test/fakes.ts';
import { pngWithText } from '../test/png.ts';

let calls: FetchCall[];
let serverFiles: Map<string, Workflow>;

/** A stand-in for the canvas: a workflow in memory with the real change tracker. */
function fakeHost(onChange: () => void = () => {}) {
  let doc: Workflow = { nodes: [], links: [] };
  const tracker = new ChangeTracker<Workflow>({ take: () => structuredClone(doc), restore: (w) => void (doc = w) }, () => onChange());
  const host: GraphHost & { edit(w: Workflow): void; current(): Workflow; tracker: ChangeTracker<Workflow>; loads: LoadOptions[] } = {
    loads: [],
    serialize: () => structuredClone(doc),
    load: (w, o = {}) => {
      host.loads.push(o);
      doc = structuredClone(w); // throws on a reactive Proxy, as litegraph's configure did
      if (o.history) tracker.adopt(o.history as TrackerHistory);
      else tracker.reset(o.saved !== false);
    },
    isDirty: () => tracker.dirty,
    markSaved: () => tracker.markSaved(),
    history: () => tracker.history(),
    /** A user's edit: the graph changes, the tracker records it, the store hears of it. */
    edit: (w) => {
      doc = w;
      tracker.check();
    },
    current: () => doc,
    tracker,
  };
  return host;
}

/** A host wired like the studio: the tracker's changes reach the store. */
function attachHost() {
  const store = useWorkflowsStore();
  const host = fakeHost(() => store.changed());
  store.attach(host);
  return { store, host };
}

const WF = (id: number): Workflow => ({ nodes: [{ id, type: 'LoadImage', widgets_values: ['a.png'] }], links: [] });
const EMPTY: Workflow = { nodes: [], links: [] };

beforeEach(() => {
  setActivePinia(createPinia());
  localStorage.clear();
  serverFiles = new Map();
  const f = fakeFetch((c) => {
    const rename = /\/api\/workflows\/(.+)\/rename$/.exec(c.url);
    if (rename && c.method === 'POST') {
      const from = decodeURIComponent(rename[1]);
      const to = (c.body as { name: string }).name;
      const w = serverFiles.get(from);
      if (!w) return undefined;
      serverFiles.delete(from);
      serverFiles.set(to, w);
      return { body: { name: to } };
    }
    const m = /\/api\/workflows\/(.+)$/.exec(c.url);
    if (m) {
      const name = decodeURIComponent(m[1]);
      if (c.method === 'PUT') return void serverFiles.set(name, c.body as Workflow), { body: { ok: true } };
      if (c.method === 'DELETE') return void serverFiles.delete(name), { body: { ok: true } };
      const w = serverFiles.get(name);
      return w ? { body: w } : undefined;
    }
    if (c.url.endsWith('/api/workflows')) return { body: [...serverFiles.keys()].map((name) => ({ name })) };
    if (c.url.endsWith('/api/templates/demo')) return { body: WF(77) };
    if (c.url.endsWith('/api/templates/other')) return { body: WF(78) };
    return undefined;
  });
  calls = f.calls;
  setApi(new ApiClient({ baseUrl: 'http://s', fetch: f.fetch, storage: memoryStorage() }));
  window.confirm = vi.fn(() => true);
});

describe('workflows store', () => {
  it('saves under a name, lists, reopens, and tracks unsaved changes', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    host.edit(WF(1));
    expect(store.dirty).toBe(true);
    expect(await store.save()).toBe(false); // no name yet: the UI asks for one
    await store.saveAs('first.json');
    expect(store.name).toBe('first');
    expect(store.dirty).toBe(false);
    expect(serverFiles.get('first')).toEqual(WF(1));
    expect(store.saved.map((w) => w.name)).toEqual(['first']);

    host.edit(WF(2));
    expect(store.dirty).toBe(true);
    // Opening it again shows its tab (with the unsaved edit), no prompt, no request.
    expect(await store.open('first')).toBe(true);
    expect(host.current()).toEqual(WF(2));
    expect(window.confirm).not.toHaveBeenCalled();
    serverFiles.set('second', WF(3));
    expect(await store.open('second')).toBe(true);
    expect(host.current()).toEqual(WF(3));
    expect(store.dirty).toBe(false);
    expect(store.tabs.map((t) => [t.name, t.dirty])).toEqual([['first', true], ['second', false]]);
    expect(calls.some((c) => c.method === 'GET' && c.url.endsWith('/api/workflows/second'))).toBe(true);
  });

  it('keeps each tab\'s graph, undo history and unsaved mark when switching', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    host.edit(WF(1));
    host.edit(WF(2));
    const first = store.activeId!;
    await store.openTemplate('demo');
    expect(host.current()).toEqual(WF(77));
    expect(store.dirty).toBe(false); // a template opens unchanged
    expect(store.tabs).toHaveLength(2);
    store.switchTo(first);
    expect(host.current()).toEqual(WF(2));
    expect(store.dirty).toBe(true);
    expect(host.tracker.undo()).toBe(true);
    expect(host.current()).toEqual(WF(1));
    expect(host.tracker.redo()).toBe(true);
    expect(host.current()).toEqual(WF(2));
  });

  it('opens templates in their own tab without asking, reusing only a blank one', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    await store.openTemplate('demo'); // the blank tab becomes the template's
    expect(store.tabs).toHaveLength(1);
    expect(store.title).toBe('demo (template)');
    expect(host.loads.at(-1)?.fit).toBe(true);
    host.edit(WF(5));
    await store.openTemplate('other');
    expect(store.tabs.map((t) => t.template)).toEqual(['demo', 'other']);
    expect(window.confirm).not.toHaveBeenCalled();
  });

  it('asks before closing a tab with unsaved changes; the last tab leaves an empty one', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    host.edit(WF(1));
    const id = store.activeId!;
    vi.mocked(window.confirm).mockReturnValue(false);
    expect(store.closeTab(id)).toBe(false);
    expect(store.tabs).toHaveLength(1);
    vi.mocked(window.confirm).mockReturnValue(true);
    expect(store.closeTab(id)).toBe(true);
    expect(store.tabs).toHaveLength(1);
    expect(store.activeId).not.toBe(id);
    expect(host.current().nodes).toEqual([]);
    expect(localStorage.getItem(`svdiff.tab.${id}`)).toBeNull();
  });

  it('autosaves every tab to the browser and restores them after a reload', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    host.edit(WF(5));
    serverFiles.set('kept', WF(6));
    await store.open('kept');

    setActivePinia(createPinia());
    const { store: after, host: host2 } = attachHost();
    expect(after.restoreAutosave()).toBe(true);
    expect(after.tabs.map((t) => [t.name, t.dirty])).toEqual([[null, true], ['kept', false]]);
    expect(host2.current()).toEqual(WF(6)); // the active tab
    after.switchTo(after.tabs[0].id);
    expect(host2.current()).toEqual(WF(5));
    expect(after.dirty).toBe(true);
  });

  it('reads the single autosave of earlier versions as one tab', () => {
    localStorage.setItem('svdiff.autosave', JSON.stringify({ name: 'old', dirty: false, workflow: WF(8) }));
    const { store, host } = attachHost();
    expect(store.restoreAutosave()).toBe(true);
    expect(store.tabs.map((t) => t.name)).toEqual(['old']);
    expect(host.current()).toEqual(WF(8));
  });

  it('opens a run\'s workflow from a reactive store, and says so when a run has none', () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    const history = reactive({ rows: [{ workflow: WF(9) }, { workflow: undefined }] });
    expect(store.openWorkflow(history.rows[0].workflow)).toBe(true);
    expect(host.current()).toEqual(WF(9));
    expect(store.openWorkflow(history.rows[1].workflow)).toBe(false);
    expect(useToastStore().toasts.map((t) => t.text).join()).toMatch(/no workflow/);
    expect(host.current()).toEqual(WF(9));
  });

  it('imports JSON or a saved PNG into a tab named after the file', async () => {
    const { store, host } = attachHost();
    store.newWorkflow(EMPTY);
    const png = new File([pngWithText({ workflow: JSON.stringify(WF(9)) })], 'out.png', { type: 'image/png' });
    expect(await store.importFile(png)).toBe(true);
    expect(host.current()).toEqual(WF(9));
    const json = new File([JSON.stringify(WF(10))], 'my flow.json', { type: 'application/json' });
    expect(await store.importFile(json)).toBe(true);
    expect(host.current()).toEqual(WF(10));
    expect(store.title).toBe('my flow');
    expect(store.suggestedName).toBe('my flow');
    expect(store.name).toBeNull();
    expect(await store.importFile(new File(['nope'], 'x.json'))).toBe(false);
  });

  it('renames a saved workflow\'s file; its open tab follows', async () => {
    const { store } = attachHost();
    serverFiles.set('a', WF(1));
    await store.open('a');
    expect(await store.rename('a', 'b.json')).toBe('b');
    expect([...serverFiles.keys()]).toEqual(['b']);
    expect(store.name).toBe('b');
    expect(store.saved.map((w) => w.name)).toEqual(['b']);
    await store.renameTab(store.activeId!, 'c');
    expect(store.name).toBe('c');
    store.newWorkflow(EMPTY);
    await store.renameTab(store.activeId!, 'draft');
    expect(store.title).toBe('draft');
    expect([...serverFiles.keys()]).toEqual(['c']);
  });
});
