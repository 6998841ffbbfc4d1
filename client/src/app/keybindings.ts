// The one keybinding table of the studio and its dispatcher. Command ids and default keys are
// ComfyUI's where ComfyUI has the command, so its users' habits carry over; the user's own
// bindings are stored as ComfyUI stores them (Comfy.Keybinding.NewBindings / UnsetBindings).
// What each command does: commands.ts.

export interface KeyCombo {
  /** `KeyboardEvent.key`, lower-cased for single characters: 'enter', 's', ',', 'delete'. */
  key: string;
  /** Ctrl, or ⌘ on a Mac. */
  ctrl?: boolean;
  alt?: boolean;
  shift?: boolean;
}

/** A combo bound to a command (ComfyUI's Keybinding shape). */
export interface Keybinding {
  commandId: string;
  combo: KeyCombo;
}

export interface CommandInfo {
  id: string;
  label: string;
  /** Default key combos, written as shown to users: 'Ctrl+Shift+Enter'. */
  keys: string[];
}

export const COMMANDS: readonly CommandInfo[] = [
  { id: 'Comfy.QueuePrompt', label: 'Queue the workflow (batch count times)', keys: ['Ctrl+Enter'] },
  { id: 'Comfy.QueuePromptFront', label: 'Queue the workflow first in line', keys: ['Ctrl+Shift+Enter'] },
  { id: 'Comfy.Interrupt', label: 'Interrupt the running prompt', keys: ['Ctrl+Alt+Enter'] },
  { id: 'Comfy.SaveWorkflow', label: 'Save the workflow', keys: ['Ctrl+S'] },
  { id: 'Comfy.OpenWorkflow', label: 'Open a workflow file (JSON or saved PNG)', keys: ['Ctrl+O'] },
  { id: 'Comfy.Undo', label: 'Undo', keys: ['Ctrl+Z'] },
  { id: 'Comfy.Redo', label: 'Redo', keys: ['Ctrl+Y', 'Ctrl+Shift+Z'] },
  { id: 'Comfy.ShowSettingsDialog', label: 'Settings', keys: ['Ctrl+,'] },
  { id: 'Comfy.RefreshNodeDefinitions', label: 'Reload node definitions from the server', keys: ['R'] },
  { id: 'Workspace.ToggleSidebarTab.queue', label: 'Show / hide the queue', keys: ['Q'] },
  { id: 'Workspace.ToggleSidebarTab.workflows', label: 'Show / hide the workflows', keys: ['W'] },
  { id: 'Workspace.ToggleSidebarTab.node-library', label: 'Show / hide the node library', keys: ['N'] },
  { id: 'Workspace.ToggleSidebarTab.templates', label: 'Show / hide the templates', keys: [] },
  { id: 'Workspace.ToggleSidebarTab.gallery', label: 'Show / hide the gallery', keys: [] },
  { id: 'Comfy.Canvas.FitView', label: 'Fit the view to the graph', keys: ['.'] },
  { id: 'Comfy.Canvas.ZoomIn', label: 'Zoom in', keys: ['Alt+='] },
  { id: 'Comfy.Canvas.ZoomOut', label: 'Zoom out', keys: ['Alt+-'] },
  { id: 'Comfy.Graph.GroupSelectedNodes', label: 'Group the selected nodes', keys: ['Ctrl+G'] },
  { id: 'Comfy.Canvas.ToggleSelectedNodes.Collapse', label: 'Collapse / expand the selected nodes', keys: ['Alt+C'] },
  { id: 'Comfy.Canvas.ToggleSelected.Pin', label: 'Pin / unpin the selected nodes', keys: ['P'] },
  { id: 'Comfy.Canvas.ToggleSelectedNodes.Bypass', label: 'Bypass the selected nodes', keys: ['Ctrl+B'] },
  { id: 'Comfy.Canvas.ToggleSelectedNodes.Mute', label: 'Mute the selected nodes', keys: ['Ctrl+M'] },
  { id: 'Comfy.Canvas.DeleteSelectedItems', label: 'Delete the selected nodes', keys: ['Delete', 'Backspace'] },
  { id: 'Comfy.Canvas.SelectAll', label: 'Select all nodes', keys: ['Ctrl+A'] },
];

const NAMED: Record<string, string> = { esc: 'escape', del: 'delete', return: 'enter', space: ' ', plus: '+', comma: ',', period: '.' };

function normKey(key: string): string {
  const k = key.toLowerCase();
  return NAMED[k] ?? k;
}

/** 'Ctrl+Shift+Enter' → { key: 'enter', ctrl: true, shift: true }. 'Cmd'/'Meta' count as Ctrl. */
export function parseCombo(text: string): KeyCombo {
  // The last part is the key; a trailing '+' (as in 'Ctrl++') is the key '+'.
  const parts = text.endsWith('++') ? [...text.slice(0, -2).split('+'), '+'] : text.split('+');
  const key = parts.pop()?.trim();
  if (!key) throw new Error(`no key in "${text}"`);
  const combo: KeyCombo = { key: normKey(key) };
  for (const p of parts.map((x) => x.trim().toLowerCase())) {
    if (p === 'ctrl' || p === 'cmd' || p === 'meta' || p === 'control') combo.ctrl = true;
    else if (p === 'alt' || p === 'option') combo.alt = true;
    else if (p === 'shift') combo.shift = true;
    else throw new Error(`unknown modifier "${p}" in "${text}"`);
  }
  return combo;
}

/** { key: 'enter', ctrl: true } → 'Ctrl+Enter' (the form shown to users). */
export function formatCombo(c: KeyCombo): string {
  const key = c.key === ' ' ? 'Space' : c.key.length === 1 ? c.key.toUpperCase() : c.key[0].toUpperCase() + c.key.slice(1);
  return [c.ctrl && 'Ctrl', c.alt && 'Alt', c.shift && 'Shift', key].filter(Boolean).join('+');
}

export function sameCombo(a: KeyCombo, b: KeyCombo): boolean {
  return normKey(a.key) === normKey(b.key) && !!a.ctrl === !!b.ctrl && !!a.alt === !!b.alt && !!a.shift === !!b.shift;
}

/** Physical keys, for Alt combos (Alt+C types 'ç' on a Mac) and shifted punctuation. */
const CODE_KEYS: Record<string, string> = { Period: '.', Comma: ',', Equal: '=', Minus: '-', Slash: '/', Backquote: '`', Semicolon: ';', Quote: "'", BracketLeft: '[', BracketRight: ']', Backslash: '\\' };

/** The combo a key press makes; undefined for a lone modifier. */
export function comboFromEvent(e: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): KeyCombo | undefined {
  if (['Control', 'Meta', 'Alt', 'Shift', 'AltGraph', 'CapsLock'].includes(e.key)) return undefined;
  let key = e.key;
  if (e.altKey && e.code) {
    const letter = /^Key([A-Z])$/.exec(e.code)?.[1] ?? /^Digit(\d)$/.exec(e.code)?.[1] ?? CODE_KEYS[e.code];
    if (letter) key = letter;
  }
  const combo: KeyCombo = { key: normKey(key) };
  if (e.ctrlKey || e.metaKey) combo.ctrl = true;
  if (e.altKey) combo.alt = true;
  if (e.shiftKey) combo.shift = true;
  return combo;
}

/** The default bindings of the table. */
export function defaultBindings(): Keybinding[] {
  return COMMANDS.flatMap((c) => c.keys.map((k) => ({ commandId: c.id, combo: parseCombo(k) })));
}

/**
 * The bindings in force: the defaults less those the user unset or whose combo the user gave
 * to another command, then the user's own.
 */
export function effectiveBindings(defaults: Keybinding[], added: Keybinding[] = [], unset: Keybinding[] = []): Keybinding[] {
  const kept = defaults.filter(
    (d) => !unset.some((u) => u.commandId === d.commandId && sameCombo(u.combo, d.combo)) && !added.some((a) => sameCombo(a.combo, d.combo)),
  );
  return [...kept, ...added.filter((a, i) => added.findIndex((b) => sameCombo(a.combo, b.combo)) === i)];
}

/** Text fields (and anything editable) keep every key they get: no command fires there. */
export function isTextTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes((el as HTMLInputElement).type);
  return el.isContentEditable === true;
}

/**
 * Finds the command bound to a key press and runs it. `run` returns false when the command
 * had nothing to do (nothing selected): the key then keeps its default behaviour.
 */
export class KeyDispatcher {
  constructor(
    private readonly bindings: () => Keybinding[],
    private readonly run: (commandId: string, e: KeyboardEvent) => boolean | void,
  ) {}

  commandFor(e: KeyboardEvent): string | undefined {
    if (e.isComposing || isTextTarget(e.target)) return undefined;
    const combo = comboFromEvent(e);
    if (!combo) return undefined;
    return this.bindings().find((b) => sameCombo(b.combo, combo))?.commandId;
  }

  /** The keydown handler; true when a command ran. */
  handle = (e: KeyboardEvent): boolean => {
    if (e.defaultPrevented) return false;
    const id = this.commandFor(e);
    if (!id) return false;
    if (this.run(id, e) === false) return false;
    e.preventDefault();
    return true;
  };
}

/** The keys shown for a command, e.g. 'Ctrl+Enter' (first binding), or '' when none. */
export function keysOf(bindings: Keybinding[], commandId: string): string[] {
  return bindings.filter((b) => b.commandId === commandId).map((b) => formatCombo(b.combo));
}
