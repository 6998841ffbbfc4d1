// Reads /api/object_info input specs: which inputs are widgets, in which order, with what
// options. Shared by node creation (registerNodes) and prompt conversion (workflowToPrompt).
import type { InputSpec, NodeDef } from '../api/types.ts';

export type WidgetKind = 'INT' | 'FLOAT' | 'STRING' | 'BOOLEAN' | 'COMBO';

export interface InputInfo {
  name: string;
  /** Socket type, or the widget kind for literal inputs. */
  type: string;
  widget?: WidgetKind;
  optional: boolean;
  options: Record<string, unknown>;
  /** COMBO choices. */
  values?: string[];
}

const WIDGETS = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);

export function parseInput(name: string, spec: InputSpec, optional: boolean): InputInfo {
  const [type, extra = {}] = spec;
  if (Array.isArray(type)) return { name, type: 'COMBO', widget: 'COMBO', optional, options: extra, values: type.map(String) };
  if (type === 'COMBO') {
    const values = Array.isArray(extra.options) ? (extra.options as unknown[]).map(String) : [];
    return { name, type, widget: 'COMBO', optional, options: extra, values };
  }
  return { name, type, widget: WIDGETS.has(type) ? (type as WidgetKind) : undefined, optional, options: extra };
}

/** All inputs in input_order (required, then optional); falls back to object key order. */
export function orderedInputs(def: NodeDef): InputInfo[] {
  const out: InputInfo[] = [];
  for (const [group, optional] of [
    ['required', false],
    ['optional', true],
  ] as const) {
    const specs = def.input[group] ?? {};
    const order = def.input_order?.[group] ?? Object.keys(specs);
    for (const name of order) if (specs[name]) out.push(parseInput(name, specs[name], optional));
  }
  return out;
}

/** True for INT widgets that get a fixed/increment/decrement/randomize companion. */
export function hasControlAfterGenerate(info: InputInfo): boolean {
  return info.widget === 'INT' && info.options.control_after_generate === true;
}

/**
 * The names of the widgets_values entries, in order: every widget input, and right after a
 * seed-like INT its control entry (named `<input>.control_after_generate`, never sent).
 */
export function widgetValueSlots(def: NodeDef): { name: string; control: boolean }[] {
  const slots: { name: string; control: boolean }[] = [];
  for (const info of orderedInputs(def)) {
    if (!info.widget) continue;
    slots.push({ name: info.name, control: false });
    if (hasControlAfterGenerate(info)) slots.push({ name: info.name, control: true });
  }
  return slots;
}

export const CONTROL_VALUES = ['fixed', 'increment', 'decrement', 'randomize'] as const;
export type ControlValue = (typeof CONTROL_VALUES)[number];
