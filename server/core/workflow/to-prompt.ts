// UI workflow → API prompt, one behaviour for the canvas, `svdiff-studio run` and scripts. It
// follows ComfyUI's front-end (graphToPrompt + ExecutableNodeDTO.resolveInput/resolveOutput):
// - muted (mode 2), bypassed (mode 4) and front-end-only nodes (Reroute, Note, …) are left out;
// - a link from a muted node is dropped;
// - a link from a bypassed node continues from one of its inputs, chosen by bypassInputIndex;
// - a link from a Reroute (any front-end-only node) continues from its input at the same index;
// - a link that is not in the workflow or comes from a missing node is dropped (ComfyUI throws;
//   a half-edited workflow still runs here, and validation names what is then missing);
// - a dropped link leaves a widget's value from widgets_values; a socket input is left out.
// Widget values come from widgets_values in the node type's widget order; a seed-like INT is
// followed by its "control after generate" entry, which is skipped; missing ones take defaults.
// Pure: no Node or DOM APIs, so the client bundles it as it is.
import { nodeLabel } from '../input-error.ts';
import { WorkflowError } from './errors.ts';
import type { ApiPrompt, Link, NodeTypeInfo, NodeTypeLookup, SlotType, Workflow, WorkflowInput, WorkflowNode } from './types.ts';
import { MODE_BYPASS, MODE_MUTED, VIRTUAL_NODE_TYPES } from './types.ts';

interface LinkEnds {
  originId: string;
  originSlot: number;
  /** The link's own type (the origin output's type when litegraph wrote it). */
  type: SlotType | undefined;
}

export function workflowToPrompt(workflow: Pick<Workflow, 'nodes' | 'links'>, nodeTypes: NodeTypeLookup): ApiPrompt {
  const nodes = new Map<string, WorkflowNode>();
  for (const n of workflow.nodes) nodes.set(String(n.id), n);
  const links = new Map<number, LinkEnds>();
  for (const l of workflow.links ?? []) {
    if (Array.isArray(l)) links.set(l[0], { originId: String(l[1]), originSlot: l[2], type: l[5] });
    else links.set(l.id, { originId: String(l.origin_id), originSlot: l.origin_slot, type: l.type });
  }
  const resolver = new LinkResolver(nodes, links);

  const prompt: ApiPrompt = {};
  for (const [id, node] of nodes) {
    if (node.mode === MODE_MUTED || node.mode === MODE_BYPASS || VIRTUAL_NODE_TYPES.has(node.type)) continue;
    const info = nodeTypes(node.type);
    if (!info) throw new WorkflowError(`${nodeLabel(id, node.type)}: unknown node type`);
    const inputs = widgetInputs(node, info);
    for (const spec of info.inputs) {
      const index = (node.inputs ?? []).findIndex((s) => s.name === spec.name);
      if (index < 0 || node.inputs![index].link == null) continue;
      const link = resolver.resolveInput(node, index, node.inputs![index].type ?? spec.type);
      if (link) inputs[spec.name] = link;
      else if (!spec.widget) delete inputs[spec.name];
    }
    prompt[id] = { class_type: node.type, inputs, _meta: { title: typeof node.title === 'string' ? node.title : info.displayName } };
  }
  return prompt;
}

/** Widget values by input name, read in the node type's widget order. */
function widgetInputs(node: WorkflowNode, info: NodeTypeInfo): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  const values = node.widgets_values;
  let i = 0;
  for (const spec of info.inputs) {
    if (!spec.widget) continue;
    let v: unknown;
    if (Array.isArray(values)) {
      v = values[i++];
      if (spec.controlAfterGenerate) i++;
    } else if (values) {
      v = values[spec.name];
    }
    if (v === undefined) v = spec.default;
    if (v !== undefined) inputs[spec.name] = v;
  }
  return inputs;
}

/** Walks links back through bypassed and front-end-only nodes to the output that feeds an input. */
class LinkResolver {
  private visited = new Set<string>();

  constructor(
    private readonly nodes: ReadonlyMap<string, WorkflowNode>,
    private readonly links: ReadonlyMap<number, LinkEnds>,
  ) {}

  /** The API link feeding input `index` of `node`, which expects `type`; undefined when the link is dropped. */
  resolveInput(node: WorkflowNode, index: number, type?: SlotType): Link | undefined {
    this.visited.clear();
    return this.input(node, index, type);
  }

  private input(node: WorkflowNode, index: number, type: SlotType | undefined): Link | undefined {
    this.enter(node, `I${index}`);
    const slot = node.inputs?.[index];
    if (slot?.link == null) return undefined;
    const link = this.links.get(slot.link);
    const origin = link && this.nodes.get(link.originId);
    if (!link || !origin) return undefined;
    return this.output(origin, link.originSlot, type ?? slot.type ?? '*', link.type);
  }

  private output(node: WorkflowNode, slot: number, type: SlotType, linkType: SlotType | undefined): Link | undefined {
    this.enter(node, `O${slot}`);
    if (node.mode === MODE_MUTED) return undefined;
    if (node.mode === MODE_BYPASS) {
      const index = bypassInputIndex(node.inputs ?? [], slot, type, node.outputs?.[slot]?.type ?? linkType ?? '*');
      // Past a bypassed node the input it passes on sets the type (ComfyUI's resolveInput without a type).
      return index < 0 ? undefined : this.input(node, index, undefined);
    }
    if (VIRTUAL_NODE_TYPES.has(node.type)) return node.inputs?.[slot] ? this.input(node, slot, type) : undefined;
    return [String(node.id), slot];
  }

  private enter(node: WorkflowNode, slot: string): void {
    const key = `${node.id}[${slot}]`;
    if (this.visited.has(key)) throw new WorkflowError(`${nodeLabel(String(node.id), node.type)}: its links loop through reroutes or bypassed nodes`);
    this.visited.add(key);
  }
}

/**
 * Which input of a bypassed node stands in for its output `slot` (of `outputType`) feeding an
 * input of `type`; -1 when none (the link is dropped). ComfyUI front-end's rule
 * (ExecutableNodeDTO#getBypassSlotIndex): a target of any type (`*`) takes the input at the
 * same index, else the first; otherwise the input at the same index if it connects to both
 * the output's and the target's type, else the first input of exactly the target's type, else
 * the first that connects to both. The chosen input may be unlinked: then the link is dropped.
 */
export function bypassInputIndex(inputs: readonly Pick<WorkflowInput, 'type'>[], slot: number, type: SlotType, outputType: SlotType): number {
  if (type === '*' || type === '') return inputs.length > slot ? slot : inputs.length > 0 ? 0 : -1;
  const fits = (t: SlotType | undefined) => slotTypesConnect(t ?? '*', outputType) && slotTypesConnect(t ?? '*', type);
  if (slot < inputs.length && fits(inputs[slot].type)) return slot;
  const exact = inputs.findIndex((i) => i.type === type);
  return exact >= 0 ? exact : inputs.findIndex((i) => fits(i.type));
}

/**
 * Whether an output of one type may feed an input of the other, as litegraph decides it
 * (LiteGraph.isValidConnection): `*` or empty matches anything, names match case-insensitively,
 * and comma lists match when any member does.
 */
export function slotTypesConnect(a: SlotType, b: SlotType): boolean {
  if (a === '' || a === '*' || b === '' || b === '*' || a === b) return true;
  const as = String(a).toLowerCase().split(',');
  const bs = String(b).toLowerCase().split(',');
  return as.some((x) => bs.some((y) => x === y || x === '*' || y === '*' || x === '' || y === ''));
}
