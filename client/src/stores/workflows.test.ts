import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import type { Workflow } from '../api/types.ts';
import { useWorkflowsStore, type GraphHost } from './workflows.ts';
import { fakeFetch, memoryStorage, type FetchCall } from '../test/fakes.ts';
import { pngWithText } from '../test/png.ts';

let calls: FetchCall[];
let serverFiles: Map<string, Workflow>;

/** A stand-in for the canvas: a workflow in memory plus a saved copy. */
function fakeHost() {
  let current: Workflow = { nodes: [], links: [] };
  let saved = JSON.stringify(current);
  const host: GraphHost & { set(w: Workflow): void; current(): Workflow } = {
    serialize: () => structuredClone(current),
    load: (w) => void (current = structuredClone(w)),
    isDirty: () => JSON.stringify(current) !== saved,
    markSaved: () => void (saved = JSON.stringify(current)),
    set: (w) => void (current = w),
    current: () => current,
  };
  return host;
}

const WF = (id: number): Workflow => ({ nodes: [{ id, type: 'LoadImage', widgets_values: ['a.png'] }], links: [] });

beforeEach(() => {
  setActivePinia(createPinia());
  localStorage.clear();
  serverFiles = new Map();
  const f = fakeFetch((c) => {
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
    return undefined;
  });
  calls = f.calls;
  setApi(new ApiClient({ baseUrl: 'http://s', fetch: f.fetch, storage: memoryStorage() }));
});

describe('workflows store', () => {
  it('saves under a name, lists, reopens, and tracks unsaved changes', async () => {
    const store = useWorkflowsStore();
    const host = fakeHost();
    store.attach(host);
    host.set(WF(1));
    store.changed();
    expect(store.dirty).toBe(true);
    expect(await store.save()).toBe(false); // no name yet: the UI asks for one
    await store.saveAs('first.json');
    expect(store.name).toBe('first');
    expect(store.dirty).toBe(false);
    expect(serverFiles.get('first')).toEqual(WF(1));
    expect(store.saved.map((w) => w.name)).toEqual(['first']);

    host.set(WF(2));
    store.changed();
    const confirm = vi.fn(() => false);
    window.confirm = confirm;
    expect(await store.open('first')).toBe(false); // declined: keeps the unsaved graph
    expect(host.current()).toEqual(WF(2));
    confirm.mockReturnValue(true);
    expect(await store.open('first')).toBe(true);
    expect(host.current()).toEqual(WF(1));
    expect(store.dirty).toBe(false);
    expect(calls.some((c) => c.method === 'GET' && c.url.endsWith('/api/workflows/first'))).toBe(true);
  });

  it('autosaves to the browser and restores after a reload', () => {
    const store = useWorkflowsStore();
    const host = fakeHost();
    store.attach(host);
    host.set(WF(5));
    store.changed();

    setActivePinia(createPinia());
    const after = useWorkflowsStore();
    const host2 = fakeHost();
    after.attach(host2);
    expect(after.restoreAutosave()).toBe(true);
    expect(host2.current()).toEqual(WF(5));
    expect(after.dirty).toBe(true);
  });

  it('opens templates as unsaved copies and imports JSON or a saved PNG', async () => {
    const store = useWorkflowsStore();
    const host = fakeHost();
    store.attach(host);
    await store.openTemplate('demo');
    expect(host.current()).toEqual(WF(77));
    expect(store.name).toBeNull();
    expect(store.title).toBe('demo (template)');

    window.confirm = () => true;
    const png = new File([pngWithText({ workflow: JSON.stringify(WF(9)) })], 'out.png', { type: 'image/png' });
    expect(await store.importFile(png)).toBe(true);
    expect(host.current()).toEqual(WF(9));
    const json = new File([JSON.stringify(WF(10))], 'w.json', { type: 'application/json' });
    expect(await store.importFile(json)).toBe(true);
    expect(host.current()).toEqual(WF(10));
    expect(await store.importFile(new File(['nope'], 'x.json'))).toBe(false);
  });
});
