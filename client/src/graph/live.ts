// What the canvas draws on each node while prompts run: a plain (non-reactive) map the
// execution store writes and node draw code reads, so drawing 300 nodes stays cheap.

export interface NodeLive {
  running?: boolean;
  /** 0..1 for the node's own progress bar. */
  progress?: number;
  /** Runtime error message of the failed node. */
  error?: string;
  /** Validation errors per input name ('' = the node as a whole). */
  inputErrors?: Map<string, string>;
  /** Images shown on the node: outputs, or the live preview while sampling. */
  images?: string[];
  /** Loss values reported by a training node, one per progress step. */
  loss?: number[];
}

const live = new Map<string, NodeLive>();
let version = 0;
const listeners = new Set<() => void>();

export function getLive(id: string | number): NodeLive | undefined {
  return live.get(String(id));
}

export function updateLive(id: string | number, patch: Partial<NodeLive>): void {
  const key = String(id);
  live.set(key, { ...live.get(key), ...patch });
  changed();
}

/** Clears one field on every node (e.g. `running` when a new node starts). */
export function clearLiveField(field: keyof NodeLive): void {
  for (const v of live.values()) delete v[field];
  changed();
}

export function resetLive(): void {
  live.clear();
  changed();
}

export function liveVersion(): number {
  return version;
}

/** Called after every change: the canvas marks itself dirty. */
export function onLiveChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(): void {
  version++;
  for (const fn of listeners) fn();
}
