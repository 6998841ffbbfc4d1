import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import { useSettingsStore } from './settings.ts';
import { fakeFetch, memoryStorage, type FetchCall } from '../test/fakes.ts';

let calls: FetchCall[];
let remote: Record<string, unknown>;

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
  remote = { 'Comfy.ColorPalette': 'light', 'Comfy.Keybinding.NewBindings': [{ commandId: 'Comfy.Canvas.FitView', combo: { key: 'f' } }], 'Other.Setting': 1 };
  const f = fakeFetch((c) => {
    if (c.url.endsWith('/api/settings') && c.method === 'GET') return { body: remote };
    if (c.url.endsWith('/api/settings') && c.method === 'POST') {
      Object.assign(remote, c.body);
      return { body: {} };
    }
    return undefined;
  });
  calls = f.calls;
  setApi(new ApiClient({ baseUrl: 'http://s', fetch: f.fetch, storage: memoryStorage() }));
});

const posts = () => calls.filter((c) => c.method === 'POST').map((c) => c.body);

describe('settings store', () => {
  it('reads the user\'s settings from the server under ComfyUI\'s ids', async () => {
    const s = useSettingsStore();
    expect(s.settings.theme).toBe('dark');
    await s.load();
    expect(s.settings.theme).toBe('light');
    expect(s.settings.keybindings).toEqual([{ commandId: 'Comfy.Canvas.FitView', combo: { key: 'f' } }]);
    expect(s.settings.seedControl).toBe('randomize');
    await nextTick();
    expect(posts()).toEqual([]); // reading writes nothing back
  });

  it('writes changed settings back, only those, and keeps view state in the browser', async () => {
    const s = useSettingsStore();
    await s.load();
    s.settings.theme = 'dark';
    s.settings.seedControl = 'increment';
    s.settings.sidebarTab = 'queue';
    s.settings.batchCount = 3;
    await nextTick();
    expect(posts()).toEqual([{ 'Comfy.ColorPalette': 'dark', 'SVDiff.SeedControl': 'increment' }]);
    expect(remote['Other.Setting']).toBe(1);
    expect(JSON.parse(localStorage.getItem('svdiff.settings')!)).toMatchObject({ theme: 'dark', sidebarTab: 'queue', batchCount: 3 });
    // A new page starts from the browser's copy (no flash of the wrong theme), then the server's.
    setActivePinia(createPinia());
    const again = useSettingsStore();
    expect(again.settings).toMatchObject({ theme: 'dark', sidebarTab: 'queue', batchCount: 3 });
  });

  it('ignores values it does not understand', async () => {
    remote = { 'Comfy.ColorPalette': 'solarized', 'SVDiff.SeedControl': 'sometimes', 'Comfy.Workflow.Persist': false };
    const s = useSettingsStore();
    await s.load();
    expect(s.settings).toMatchObject({ theme: 'dark', seedControl: 'randomize', autosave: false });
  });

  it('toggles sidebar tabs', () => {
    const s = useSettingsStore();
    s.toggleTab('queue');
    expect(s.settings.sidebarTab).toBe('queue');
    s.toggleTab('queue');
    expect(s.settings.sidebarTab).toBe('');
  });
});
