// User settings, kept in localStorage.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

const KEY = 'svdiff.settings';

export interface Settings {
  /** Default "control after generate" of new seed widgets. */
  seedControl: 'fixed' | 'increment' | 'decrement' | 'randomize';
  /** Open sidebar tab, or '' when closed. */
  sidebarTab: string;
  /** Keep the current workflow in the browser so a reload loses nothing. */
  autosave: boolean;
}

const DEFAULTS: Settings = { seedControl: 'randomize', sidebarTab: 'nodes', autosave: true };

function read(): Settings {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>) };
  } catch {
    return { ...DEFAULTS };
  }
}

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>(read());
  watch(settings, (s) => localStorage.setItem(KEY, JSON.stringify(s)), { deep: true });
  return { settings };
});
