// Short messages shown at the top right (errors, confirmations).
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([]);
  let next = 1;
  /** Errors stay longer, and long ones longer still (up to 20 s): there is more to read. */
  function show(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? Math.min(20_000, 8000 + text.length * 20) : 3000): void {
    const id = next++;
    toasts.value.push({ id, kind, text });
    setTimeout(() => dismiss(id), ms);
  }
  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }
  return { toasts, show, dismiss };
});
