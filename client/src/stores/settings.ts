// User settings. Those that belong to the user are kept on the server, per user, in ComfyUI's
// comfy.settings.json under ComfyUI's setting ids where ComfyUI has the setting (GET/POST
// /settings); view state (the open sidebar tab, the batch count) stays in this browser. A copy
// of everything sits in localStorage, so the first paint already has the user's theme.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { getApi } from '../api/instance.ts';
import type { Keybinding } from '../app/keybindings.ts';

const KEY = 'svdiff.settings';

export type Theme = 'dark' | 'light';
export type SeedControl = 'fixed' | 'increment' | 'decrement' | 'randomize';

export interface Settings {
  /** Default "control after generate" of new seed widgets. */
  seedControl: SeedControl;
  /** Open sidebar tab, or '' when closed. */
  sidebarTab: string;
  /** Keep the current workflow in the browser so a reload loses nothing. */
  autosave: boolean;
  /** Colours of the app and the canvas. */
  theme: Theme;
  /** Key combos the user bound to commands. */
  keybindings: Keybinding[];
  /** Default key combos the user removed. */
  unsetKeybindings: Keybinding[];
  /** How many prompts one Queue press (or Ctrl+Enter) queues. */
  batchCount: number;
}

export const DEFAULT_SETTINGS: Settings = {
  seedControl: 'randomize',
  sidebarTab: 'nodes',
  autosave: true,
  theme: 'dark',
  keybindings: [],
  unsetKeybindings: [],
  batchCount: 1,
};

/** Settings kept on the server, by their id in comfy.settings.json. */
export const SERVER_IDS = {
  seedControl: 'SVDiff.SeedControl',
  autosave: 'Comfy.Workflow.Persist',
  theme: 'Comfy.ColorPalette',
  keybindings: 'Comfy.Keybinding.NewBindings',
  unsetKeybindings: 'Comfy.Keybinding.UnsetBindings',
} as const satisfies Partial<Record<keyof Settings, string>>;

type ServerKey = keyof typeof SERVER_IDS;

const isBinding = (b: unknown): b is Keybinding => {
  const x = b as Keybinding | null;
  return !!x && typeof x.commandId === 'string' && !!x.combo && typeof x.combo.key === 'string';
};

/** A stored value, or undefined when it is not one this client understands. */
function valid<K extends keyof Settings>(key: K, v: unknown): Settings[K] | undefined {
  const ok = (() => {
    switch (key) {
      case 'seedControl':
        return ['fixed', 'increment', 'decrement', 'randomize'].includes(v as string);
      case 'theme':
        return v === 'dark' || v === 'light';
      case 'autosave':
        return typeof v === 'boolean';
      case 'sidebarTab':
        return typeof v === 'string';
      case 'batchCount':
        return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100;
      case 'keybindings':
      case 'unsetKeybindings':
        return Array.isArray(v) && v.every(isBinding);
      default:
        return false;
    }
  })();
  return ok ? (v as Settings[K]) : undefined;
}

function read(): Settings {
  const s: Settings = structuredClone(DEFAULT_SETTINGS);
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>;
    for (const k of Object.keys(s) as (keyof Settings)[]) {
      const v = valid(k, stored[k]);
      if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
    }
  } catch {
    /* defaults */
  }
  return s;
}

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>(read());
  /** The server's copy has been read: changes from now on are written back. */
  const loaded = ref(false);
  /** The settings dialog is open. */
  const dialogOpen = ref(false);
  /** JSON of each server-kept value as the server has it. */
  const synced = new Map<ServerKey, string>();

  async function load(): Promise<void> {
    let remote: Record<string, unknown> = {};
    try {
      remote = await getApi().getSettings();
    } catch {
      /* offline or an old server: keep the browser's copy, still save changes */
    }
    const s = settings.value;
    for (const [key, id] of Object.entries(SERVER_IDS) as [ServerKey, string][]) {
      const v = valid(key, remote[id]);
      if (v !== undefined) (s as unknown as Record<string, unknown>)[key] = v;
      // A value the server lacks is written only once the user changes it.
      synced.set(key, JSON.stringify(s[key]));
    }
    loaded.value = true;
  }

  function push(s: Settings): void {
    if (!loaded.value) return;
    const changed: Record<string, unknown> = {};
    for (const [key, id] of Object.entries(SERVER_IDS) as [ServerKey, string][]) {
      const json = JSON.stringify(s[key]);
      if (synced.get(key) === json) continue;
      synced.set(key, json);
      changed[id] = s[key];
    }
    if (Object.keys(changed).length > 0) void getApi().storeSettings(changed).catch(() => {});
  }

  watch(
    settings,
    (s) => {
      localStorage.setItem(KEY, JSON.stringify(s));
      push(s);
    },
    { deep: true },
  );

  /** Opens a sidebar tab, or closes it when it is the open one. */
  function toggleTab(id: string): void {
    settings.value.sidebarTab = settings.value.sidebarTab === id ? '' : id;
  }

  return { settings, loaded, dialogOpen, load, toggleTab };
});
