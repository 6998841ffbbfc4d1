import { describe, expect, it, vi } from 'vitest';
import { COMMANDS, comboFromEvent, defaultBindings, effectiveBindings, formatCombo, isTextTarget, KeyDispatcher, keysOf, parseCombo, sameCombo } from './keybindings.ts';

function key(init: KeyboardEventInit, target?: EventTarget): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  if (target) Object.defineProperty(e, 'target', { value: target });
  return e;
}

describe('key combos', () => {
  it('parses and formats combos', () => {
    expect(parseCombo('Ctrl+Shift+Enter')).toEqual({ key: 'enter', ctrl: true, shift: true });
    expect(parseCombo('Ctrl+Alt+Enter')).toEqual({ key: 'enter', ctrl: true, alt: true });
    expect(parseCombo('Ctrl+,')).toEqual({ key: ',', ctrl: true });
    expect(parseCombo('.')).toEqual({ key: '.' });
    expect(parseCombo('Cmd+S')).toEqual({ key: 's', ctrl: true });
    expect(parseCombo('Ctrl++')).toEqual({ key: '+', ctrl: true });
    expect(parseCombo('Alt+C')).toEqual({ key: 'c', alt: true });
    expect(() => parseCombo('Hyper+X')).toThrow(/modifier/);
    expect(formatCombo(parseCombo('ctrl+shift+z'))).toBe('Ctrl+Shift+Z');
    expect(formatCombo({ key: 'delete' })).toBe('Delete');
    for (const c of COMMANDS) for (const k of c.keys) expect(formatCombo(parseCombo(k))).toBe(k);
  });

  it('reads the combo of a key press (⌘ counts as Ctrl; Alt combos by physical key)', () => {
    expect(comboFromEvent(key({ key: 'Enter', ctrlKey: true, altKey: true, code: 'Enter' }))).toEqual({ key: 'enter', ctrl: true, alt: true });
    expect(comboFromEvent(key({ key: 'Z', ctrlKey: true, shiftKey: true, code: 'KeyZ' }))).toEqual({ key: 'z', ctrl: true, shift: true });
    expect(comboFromEvent(key({ key: 's', metaKey: true, code: 'KeyS' }))).toEqual({ key: 's', ctrl: true });
    expect(comboFromEvent(key({ key: 'ç', altKey: true, code: 'KeyC' }))).toEqual({ key: 'c', alt: true });
    expect(comboFromEvent(key({ key: 'Control', ctrlKey: true, code: 'ControlLeft' }))).toBeUndefined();
  });

  it('has one table with ComfyUI\'s defaults and no combo bound twice', () => {
    const b = defaultBindings();
    const find = (k: string) => b.filter((x) => sameCombo(x.combo, parseCombo(k))).map((x) => x.commandId);
    expect(find('Ctrl+Enter')).toEqual(['Comfy.QueuePrompt']);
    expect(find('Ctrl+Shift+Enter')).toEqual(['Comfy.QueuePromptFront']);
    expect(find('Ctrl+Alt+Enter')).toEqual(['Comfy.Interrupt']);
    expect(find('Ctrl+,')).toEqual(['Comfy.ShowSettingsDialog']);
    expect(find('Ctrl+Shift+Z')).toEqual(['Comfy.Redo']);
    for (const x of b) expect(b.filter((y) => sameCombo(x.combo, y.combo))).toHaveLength(1);
    expect(new Set(COMMANDS.map((c) => c.id)).size).toBe(COMMANDS.length);
  });

  it('applies the user\'s bindings over the defaults', () => {
    const d = defaultBindings();
    // Q now opens the gallery; the queue's default Q goes; Ctrl+S is unset.
    const eff = effectiveBindings(d, [{ commandId: 'Workspace.ToggleSidebarTab.gallery', combo: { key: 'q' } }], [{ commandId: 'Comfy.SaveWorkflow', combo: { key: 's', ctrl: true } }]);
    expect(keysOf(eff, 'Workspace.ToggleSidebarTab.gallery')).toEqual(['Q']);
    expect(keysOf(eff, 'Workspace.ToggleSidebarTab.queue')).toEqual([]);
    expect(keysOf(eff, 'Comfy.SaveWorkflow')).toEqual([]);
    expect(keysOf(eff, 'Comfy.Redo')).toEqual(['Ctrl+Y', 'Ctrl+Shift+Z']);
  });
});

describe('key dispatcher', () => {
  const setup = () => {
    const run = vi.fn((_id: string) => true as boolean | void);
    return { run, d: new KeyDispatcher(defaultBindings, run) };
  };

  it('runs the bound command and stops the browser\'s default', () => {
    const { run, d } = setup();
    const e = key({ key: 'Enter', ctrlKey: true, altKey: true, code: 'Enter' }, document.body);
    expect(d.handle(e)).toBe(true);
    expect(run).toHaveBeenCalledWith('Comfy.Interrupt', e);
    expect(e.defaultPrevented).toBe(true);
    // Ctrl+Alt+Enter is not Ctrl+Enter: exactly one command per combo.
    expect(run).toHaveBeenCalledTimes(1);
    d.handle(key({ key: 'Enter', ctrlKey: true }, document.body));
    expect(run).toHaveBeenLastCalledWith('Comfy.QueuePrompt', expect.anything());
    d.handle(key({ key: ',', ctrlKey: true, code: 'Comma' }, document.body));
    expect(run).toHaveBeenLastCalledWith('Comfy.ShowSettingsDialog', expect.anything());
  });

  it('ignores keys typed into text fields', () => {
    const { run, d } = setup();
    const fields = [document.createElement('input'), document.createElement('textarea'), document.createElement('select'), Object.assign(document.createElement('input'), { type: 'search' })];
    for (const el of fields) {
      expect(isTextTarget(el)).toBe(true);
      for (const k of [{ key: 'q' }, { key: 'Enter', ctrlKey: true }, { key: 'z', ctrlKey: true }, { key: '.' }, { key: 'Delete' }]) {
        const e = key(k, el);
        expect(d.handle(e)).toBe(false);
        expect(e.defaultPrevented).toBe(false);
      }
    }
    const editable = document.createElement('div');
    Object.defineProperty(editable, 'isContentEditable', { value: true });
    expect(d.handle(key({ key: 'q' }, editable))).toBe(false);
    expect(run).not.toHaveBeenCalled();
    // A checkbox or a button is not a text field.
    expect(isTextTarget(Object.assign(document.createElement('input'), { type: 'checkbox' }))).toBe(false);
    expect(d.handle(key({ key: 'q' }, document.createElement('button')))).toBe(true);
  });

  it('leaves unbound keys, handled keys and commands with nothing to do alone', () => {
    const run = vi.fn((id: string) => id !== 'Comfy.Canvas.DeleteSelectedItems');
    const d = new KeyDispatcher(defaultBindings, run);
    expect(d.handle(key({ key: 'x' }, document.body))).toBe(false);
    const handled = key({ key: 'q' }, document.body);
    handled.preventDefault();
    expect(d.handle(handled)).toBe(false);
    const del = key({ key: 'Delete' }, document.body);
    expect(d.handle(del)).toBe(false);
    expect(del.defaultPrevented).toBe(false);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
