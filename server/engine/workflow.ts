// Converts a litegraph workflow (the UI format the canvas saves) to the API prompt format
// the engine runs. Widget values are read in the definition's widget order; seed-like INT
// widgets carry one extra "control after generate" entry that is skipped. Muted nodes are
// dropped, bypassed nodes pass their same-typed input through, reroutes are followed.
import type { ApiNode, ApiPrompt, InputSpec, Link } from '../core/index.ts';
import { isWidgetType } from '../core/index.ts';
import type { NodeRegistry } from './registry.ts';
import { summarizeValue } from './describe.ts';

export class WorkflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowError';
  }
}

/** litegraph node modes: 0 always, 2 never (muted), 4 bypass. */
const MODE_MUTED = 2;
const MODE_BYPASS = 4;
/** Front-end-only nodes that never reach the API prompt. */
const VIRTUAL = new Set(['Reroute', 'Note', 'MarkdownNote', 'PrimitiveNode']);

interface WfInput {
  name: string;
  type?: string;
  link?: number | null;
  widget?: { name: string };
}
interface WfOutput {
  name?: string;
  type?: string;
  links?: number[] | null;
}
interface WfNode {
  id: number | string;
  type: string;
  title?: string;
  mode?: number;
  inputs?: WfInput[];
  outputs?: WfOutput[];
  widgets_values?: unknown[] | Record<string, unknown>;
}
interface WfLink {
  id: number;
  from: string;
  fromSlot: number;
  to: string;
  toSlot: number;
  type: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for the API format: a non-empty object whose values all have a string class_type. */
export function isApiPrompt(x: unknown): x is ApiPrompt {
  if (!isObject(x)) return false;
  const values = Object.values(x);
  return values.length > 0 && values.every((v) => isObject(v) && typeof v.class_type === 'string');
}

export function workflowToPrompt(workflow: unknown, registry: NodeRegistry): { prompt: ApiPrompt } {
  if (!isObject(workflow) || !Array.isArray(workflow.nodes)) throw new WorkflowError('a workflow must be an object with a "nodes" array');
  const nodes = new Map<string, WfNode>();
  for (const raw of workflow.nodes as unknown[]) {
    if (!isObject(raw) || (typeof raw.id !== 'number' && typeof raw.id !== 'string') || typeof raw.type !== 'string') {
      throw new WorkflowError(`workflow node ${summarizeValue(isObject(raw) ? raw.id : raw)} needs an id and a type`);
    }
    nodes.set(String(raw.id), raw as unknown as WfNode);
  }
  const links = new Map<number, WfLink>();
  for (const raw of Array.isArray(workflow.links) ? (workflow.links as unknown[]) : []) {
    const l = parseLink(raw);
    if (l) links.set(l.id, l);
  }

  /**
   * The API link feeding an input whose workflow link is `linkId`: follows reroutes and
   * bypassed nodes; undefined when the chain ends at a muted or front-end-only node.
   */
  const resolve = (linkId: number | null | undefined, type: string | undefined): Link | undefined => {
    const seen = new Set<number>();
    for (;;) {
      if (linkId === null || linkId === undefined) return undefined;
      if (seen.has(linkId)) throw new WorkflowError(`workflow link ${linkId} loops through reroutes or bypassed nodes`);
      seen.add(linkId);
      const link = links.get(linkId);
      if (!link) return undefined;
      const src = nodes.get(link.from);
      if (!src) return undefined;
      const linkType = type && type !== '*' ? type : link.type !== '*' ? link.type : src.outputs?.[link.fromSlot]?.type;
      if (src.type === 'Reroute') {
        linkId = src.inputs?.[0]?.link;
        type = linkType;
        continue;
      }
      if (src.mode === MODE_MUTED || VIRTUAL.has(src.type)) return undefined;
      if (src.mode === MODE_BYPASS) {
        const through = (src.inputs ?? []).find((i) => i.type === linkType);
        linkId = through?.link;
        type = linkType;
        continue;
      }
      return [link.from, link.fromSlot];
    }
  };

  const prompt: ApiPrompt = {};
  for (const [id, node] of nodes) {
    if (VIRTUAL.has(node.type) || node.mode === MODE_MUTED || node.mode === MODE_BYPASS) continue;
    const def = registry.get(node.type);
    if (!def) throw new WorkflowError(`Node #${id} (${node.type}): unknown node type`);
    const inputs: Record<string, unknown> = {};
    const byName = new Map((node.inputs ?? []).map((i) => [i.name, i]));

    // Widget values, in schema order (required first, then optional, as object_info's input_order).
    const values = node.widgets_values;
    let i = 0;
    for (const [name, spec] of widgetOrder(def.inputs)) {
      let v: unknown;
      if (Array.isArray(values)) {
        v = values[i++];
        if (spec.type === 'INT' && (spec as { controlAfterGenerate?: boolean }).controlAfterGenerate) i++;
      } else if (isObject(values)) {
        v = values[name];
      }
      if (v === undefined && 'default' in spec) v = spec.default;
      if (v !== undefined) inputs[name] = v;
    }

    // Links: socket inputs and widgets converted to inputs.
    for (const name in def.inputs) {
      const slot = byName.get(name);
      if (!slot || slot.link === null || slot.link === undefined) continue;
      const link = resolve(slot.link, slot.type);
      if (link) inputs[name] = link;
      else if (!isWidgetType(def.inputs[name].type)) delete inputs[name];
    }

    const apiNode: ApiNode = { class_type: node.type, inputs };
    apiNode._meta = { title: typeof node.title === 'string' ? node.title : def.displayName };
    prompt[id] = apiNode;
  }
  return { prompt };
}

function widgetOrder(inputs: Record<string, InputSpec>): [string, InputSpec][] {
  const entries = Object.entries(inputs).filter(([, s]) => isWidgetType(s.type));
  return [...entries.filter(([, s]) => !s.optional), ...entries.filter(([, s]) => s.optional)];
}

/** Links are `[id, from, fromSlot, to, toSlot, type]` (also accepts the object form newer front-ends write). */
function parseLink(raw: unknown): WfLink | undefined {
  if (Array.isArray(raw) && raw.length >= 5) {
    const [id, from, fromSlot, to, toSlot, type] = raw as unknown[];
    if (typeof id !== 'number' || typeof fromSlot !== 'number' || typeof toSlot !== 'number') return undefined;
    return { id, from: String(from), fromSlot, to: String(to), toSlot, type: typeof type === 'string' ? type : '*' };
  }
  if (isObject(raw) && typeof raw.id === 'number' && typeof raw.origin_slot === 'number') {
    return {
      id: raw.id,
      from: String(raw.origin_id),
      fromSlot: raw.origin_slot,
      to: String(raw.target_id),
      toSlot: typeof raw.target_slot === 'number' ? raw.target_slot : 0,
      type: typeof raw.type === 'string' ? raw.type : '*',
    };
  }
  return undefined;
}
