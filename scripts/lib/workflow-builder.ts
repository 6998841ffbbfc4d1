// Builds litegraph (UI-format) workflows from a compact description, reading each node's
// sockets and widget order from the real registry, so the JSON the canvas loads and the
// prompt the engine runs never drift from the node schemas. Layout: columns by graph depth,
// left to right; nodes stacked top to bottom within a column.
import type { InputSpec, NodeDefinition } from '../../nodes/define.ts';
import { isWidgetType } from '../../nodes/define.ts';
import type { NodeRegistry } from '../../server/engine/registry.ts';

/** A link source: [node key, output index]. */
export type Src = [string, number];

export interface NodeDesc {
  key: string;
  type: string;
  title?: string;
  /** Widget values by input name; the rest take the schema default. */
  widgets?: Record<string, unknown>;
  /** Socket (or widget) inputs fed by a link. */
  links?: Record<string, Src>;
  /** Column override (default: one right of the deepest source). */
  column?: number;
  /** Horizontal band (default 0): bands stack top to bottom, e.g. one row per stage of a sweep. */
  band?: number;
}

export interface WorkflowDesc {
  nodes: NodeDesc[];
}

interface UiInput { name: string; type: string; link: number | null; widget?: { name: string } }
interface UiOutput { name: string; type: string; links: number[]; slot_index: number }
export interface UiNode {
  id: number;
  type: string;
  title?: string;
  pos: [number, number];
  size: [number, number];
  flags: Record<string, never>;
  order: number;
  mode: 0;
  inputs: UiInput[];
  outputs: UiOutput[];
  properties: Record<string, unknown>;
  widgets_values: unknown[];
}
export type UiLink = [number, number, number, number, number, string];
export interface UiWorkflow {
  last_node_id: number;
  last_link_id: number;
  nodes: UiNode[];
  links: UiLink[];
  groups: unknown[];
  config: Record<string, never>;
  extra: Record<string, unknown>;
  version: 0.4;
}

const COLUMN_WIDTH = 340;
const NODE_WIDTH = 300;
const GAP = 40;
/** Nodes that draw an image under their widgets (input, preview or output). */
const IMAGE_SHOWING = new Set(['LoadImage', 'Sample', 'SaveImage', 'PreviewImage']);

/** Inputs in object_info's input_order: required first, then optional. */
function ordered(def: NodeDefinition): [string, InputSpec][] {
  const all = Object.entries(def.inputs);
  return [...all.filter(([, s]) => !s.optional), ...all.filter(([, s]) => s.optional)];
}

/**
 * The height the studio's canvas lays a node out at (litegraph 0.17: 20 px per socket row, 6 px
 * below them; 24 px per widget, 76 px per multiline text box; an upload button and a seed's
 * "control after generate" are widgets too), so a file opens at its final size and the first
 * draw grows nothing. Nodes that show an image get room for it.
 */
function nodeHeight(def: NodeDefinition): number {
  const entries = Object.values(def.inputs);
  const sockets = entries.filter((s) => !isWidgetType(s.type)).length;
  const rows = Math.max(1, sockets, def.outputs.length);
  let widgets = 0;
  for (const s of entries) {
    if (!isWidgetType(s.type)) continue;
    widgets += s.type === 'STRING' && (s as { multiline?: boolean }).multiline ? 76 : 24;
    if ((s as { controlAfterGenerate?: boolean }).controlAfterGenerate) widgets += 24;
    if ((s as { imageUpload?: boolean }).imageUpload) widgets += 24;
  }
  // Room for the image the node shows after a run (a preview or its output), so stacked nodes don't overlap.
  const showsImage = IMAGE_SHOWING.has(def.type);
  return rows * 20 + 6 + widgets + (showsImage ? 200 : 0);
}

export function buildWorkflow(desc: WorkflowDesc, registry: NodeRegistry): UiWorkflow {
  const ids = new Map<string, number>();
  desc.nodes.forEach((n, i) => {
    if (ids.has(n.key)) throw new Error(`workflow node key "${n.key}" is used twice`);
    ids.set(n.key, i + 1);
  });
  const defs = desc.nodes.map((n) => {
    const def = registry.get(n.type);
    if (!def) throw new Error(`${n.key}: unknown node type ${n.type}`);
    return def;
  });

  // Columns by depth; execution order = index of a topological order.
  const column = new Map<string, number>();
  const depth = (n: NodeDesc): number => {
    const known = column.get(n.key);
    if (known !== undefined) return known;
    const srcs = Object.values(n.links ?? {}).map(([k]) => {
      const src = desc.nodes.find((m) => m.key === k);
      if (!src) throw new Error(`${n.key}: link from unknown node "${k}"`);
      return depth(src) + 1;
    });
    const d = n.column ?? Math.max(0, ...srcs);
    column.set(n.key, d);
    return d;
  };
  desc.nodes.forEach(depth);

  const links: UiLink[] = [];
  const nodes: UiNode[] = desc.nodes.map((n, i) => {
    const def = defs[i];
    const inputs: UiInput[] = [];
    // Socket inputs first, then one slot per widget (so a widget can take a link), as the client builds them.
    for (const [name, spec] of ordered(def)) if (!isWidgetType(spec.type)) inputs.push({ name, type: spec.type, link: null });
    for (const [name, spec] of ordered(def)) if (isWidgetType(spec.type)) inputs.push({ name, type: spec.type, link: null, widget: { name } });
    const widgets_values: unknown[] = [];
    for (const [name, spec] of ordered(def)) {
      if (!isWidgetType(spec.type)) continue;
      const given = n.widgets?.[name];
      const v = given !== undefined ? given : 'default' in spec ? spec.default : undefined;
      if (v === undefined) throw new Error(`${n.key} (${n.type}): widget "${name}" needs a value (no default)`);
      widgets_values.push(v);
      if (spec.type === 'INT' && (spec as { controlAfterGenerate?: boolean }).controlAfterGenerate) widgets_values.push('fixed');
    }
    for (const name of Object.keys(n.widgets ?? {})) {
      if (!(name in def.inputs) || !isWidgetType(def.inputs[name].type)) throw new Error(`${n.key} (${n.type}): no widget "${name}"`);
    }
    return {
      id: i + 1,
      type: n.type,
      ...(n.title ? { title: n.title } : {}),
      pos: [0, 0],
      size: [NODE_WIDTH, nodeHeight(def)],
      flags: {},
      order: 0,
      mode: 0,
      inputs,
      outputs: def.outputs.map((o, slot) => ({ name: o.name, type: o.type, links: [], slot_index: slot })),
      properties: { 'Node name for S&R': n.type },
      widgets_values,
    };
  });

  desc.nodes.forEach((n, i) => {
    for (const [name, [srcKey, slot]] of Object.entries(n.links ?? {})) {
      const target = nodes[i];
      const toSlot = target.inputs.findIndex((s) => s.name === name);
      if (toSlot < 0) throw new Error(`${n.key} (${n.type}): no input "${name}"`);
      const srcId = ids.get(srcKey)!;
      const src = nodes[srcId - 1];
      const out = src.outputs[slot];
      if (!out) throw new Error(`${n.key}: ${srcKey} has no output ${slot}`);
      const want = target.inputs[toSlot].type;
      if (out.type !== want) throw new Error(`${n.key}.${name} wants ${want}, ${srcKey}[${slot}] gives ${out.type}`);
      const id = links.length + 1;
      links.push([id, srcId, slot, target.id, toSlot, out.type]);
      target.inputs[toSlot].link = id;
      out.links.push(id);
    }
  });

  // Positions: column x; within a band, nodes of a column stack top to bottom; each band starts
  // below the previous one. Order = topological (by column, then declaration).
  const bandOf = (i: number) => desc.nodes[i].band ?? 0;
  const bands = [...new Set(desc.nodes.map((_, i) => bandOf(i)))].sort((a, b) => a - b);
  let bandTop = 60;
  for (const band of bands) {
    const y = new Map<number, number>();
    desc.nodes.forEach((n, i) => {
      if (bandOf(i) !== band) return;
      const c = column.get(n.key)!;
      const top = y.get(c) ?? bandTop;
      nodes[i].pos = [40 + c * COLUMN_WIDTH, top];
      y.set(c, top + nodes[i].size[1] + GAP);
    });
    bandTop = Math.max(bandTop, ...y.values());
  }
  desc.nodes
    .map((n, i) => ({ i, c: column.get(n.key)! }))
    .sort((a, b) => a.c - b.c || a.i - b.i)
    .forEach(({ i }, order) => (nodes[i].order = order));

  const extra: Record<string, unknown> = { ds: { scale: 0.8, offset: [0, 0] } };
  return { last_node_id: nodes.length, last_link_id: links.length, nodes, links, groups: [], config: {}, extra, version: 0.4 };
}
