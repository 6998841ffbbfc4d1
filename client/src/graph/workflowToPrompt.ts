// Workflow (UI format) → API prompt, the way ComfyUI's graphToPrompt does it: widget
// values come from widgets_values in the definition's widget order, links override them,
// muted (2) nodes are left out and bypassed (4) nodes are passed through by socket type.
import type { ApiPrompt, ObjectInfo, Workflow, WorkflowLink, WorkflowNode } from '../api/types.ts';
import { widgetValueSlots } from './nodeSpec.ts';

export const MODE_MUTED = 2;
export const MODE_BYPASS = 4;

export function workflowToPrompt(workflow: Workflow, defs: ObjectInfo): ApiPrompt {
  const nodes = new Map<string, WorkflowNode>();
  for (const n of workflow.nodes) nodes.set(String(n.id), n);
  const links = new Map<number, WorkflowLink>();
  for (const l of workflow.links ?? []) links.set(l[0], l);

  const prompt: ApiPrompt = {};
  for (const node of workflow.nodes) {
    if (node.mode === MODE_MUTED || node.mode === MODE_BYPASS) continue;
    const def = defs[node.type];
    if (!def) continue; // notes, reroutes, unknown types: not executable
    const inputs: Record<string, unknown> = {};
    const values = node.widgets_values ?? [];
    widgetValueSlots(def).forEach((slot, i) => {
      if (!slot.control && i < values.length) inputs[slot.name] = values[i];
    });
    for (const input of node.inputs ?? []) {
      if (input.link == null) continue;
      const src = resolveSource(input.link, links, nodes);
      if (src) inputs[input.name] = src;
      else if (!input.widget) delete inputs[input.name];
    }
    prompt[String(node.id)] = { class_type: node.type, inputs, _meta: { title: node.title ?? def.display_name } };
  }
  return prompt;
}

/** Follows a link back through bypassed nodes to a real output; undefined if it ends at a muted one. */
function resolveSource(linkId: number, links: Map<number, WorkflowLink>, nodes: Map<string, WorkflowNode>): [string, number] | undefined {
  const seen = new Set<number>();
  let link = links.get(linkId);
  while (link && !seen.has(link[0])) {
    seen.add(link[0]);
    const [, originId, originSlot, , , type] = link;
    const origin = nodes.get(String(originId));
    if (!origin) return undefined;
    if (origin.mode === MODE_MUTED) return undefined;
    if (origin.mode !== MODE_BYPASS) return [String(originId), originSlot];
    // Bypass: the first linked input of the same type stands in for this output.
    const through = origin.inputs?.find((i) => i.link != null && sameType(i.type, type));
    if (!through || through.link == null) return undefined;
    link = links.get(through.link);
  }
  return undefined;
}

function sameType(a: string, b: string): boolean {
  return a === '*' || b === '*' || a.toUpperCase() === b.toUpperCase();
}
