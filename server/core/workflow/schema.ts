// Checks a UI workflow or an API prompt where one comes in (a file, a request), with messages
// that name the node and field at fault: `Node #3 (Sample): inputs[1].link: expected a link id
// (a number) or null`. Keys the schemas do not name are kept as they are.
import { z } from 'zod';
import { nodeLabel } from '../input-error.ts';
import { WorkflowError } from './errors.ts';
import type { ApiPrompt, Workflow } from './types.ts';

const nodeId = z.union([z.number(), z.string()], { error: 'expected a node id (a number or a string)' });
const slotType = z.union([z.string(), z.number()], { error: 'expected a type name' });
const slotIndex = z.number({ error: 'expected a slot index (a number)' });
const linkId = z.number({ error: 'expected a link id (a number)' });

const input = z.looseObject({
  name: z.string({ error: 'expected an input name (a string)' }),
  type: slotType.optional(),
  link: z.number({ error: 'expected a link id (a number) or null' }).nullable().optional(),
  widget: z.looseObject({ name: z.string({ error: 'expected a widget name (a string)' }) }).optional(),
});
const output = z.looseObject({
  name: z.string().optional(),
  type: slotType.optional(),
  links: z.array(linkId).nullable().optional(),
});
const node = z.looseObject({
  id: nodeId,
  type: z.string({ error: 'expected a node type (a string)' }).min(1, { error: 'expected a node type, got an empty string' }),
  title: z.string().optional(),
  mode: z.number({ error: 'expected a mode (0 always, 2 muted, 4 bypassed)' }).optional(),
  inputs: z.array(input).optional(),
  outputs: z.array(output).optional(),
  widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())], { error: 'expected a list of widget values (or an object by name)' }).optional(),
});
const link = z.union(
  [
    z.tuple([linkId, nodeId, slotIndex, nodeId, slotIndex, slotType.optional()], z.unknown()),
    z.looseObject({ id: linkId, origin_id: nodeId, origin_slot: slotIndex, target_id: nodeId, target_slot: slotIndex, type: slotType.optional() }),
  ],
  { error: 'expected a link: [id, origin_id, origin_slot, target_id, target_slot, type] or an object with those keys' },
);
const group = z.looseObject({ title: z.string().optional(), bounding: z.array(z.number()).optional(), color: z.string().optional() });

export const workflowSchema = z
  .looseObject({
    nodes: z.array(node, { error: 'expected an array of nodes' }),
    links: z.array(link).optional(),
    groups: z.array(group).optional(),
    last_node_id: z.number().optional(),
    last_link_id: z.number().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
    version: z.number().optional(),
  })
  .superRefine((wf, ctx) => {
    const seen = new Set<string>();
    wf.nodes.forEach((n, i) => {
      if (seen.has(String(n.id))) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: 'another node has the same id' });
      seen.add(String(n.id));
    });
  }) satisfies z.ZodType<Workflow>;

const apiNode = z.looseObject({
  class_type: z.string({ error: 'expected a class_type (a string)' }).min(1, { error: 'expected a class_type, got an empty string' }),
  inputs: z.record(z.string(), z.unknown(), { error: 'expected inputs (an object of name: value or [node id, output index])' }),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export const apiPromptSchema = z.record(z.string(), apiNode, { error: 'an API prompt must be an object of nodes by id' }) satisfies z.ZodType<ApiPrompt>;

/** A UI workflow checked at the boundary; throws a WorkflowError naming the node and field. */
export function parseWorkflow(doc: unknown): Workflow {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new WorkflowError('a workflow must be an object with a "nodes" array');
  const r = workflowSchema.safeParse(doc);
  if (r.success) return r.data;
  const nodes = (doc as { nodes?: unknown }).nodes;
  throw new WorkflowError(
    describeIssues(r.error.issues, (path) => {
      if (path[0] !== 'nodes' || typeof path[1] !== 'number' || !Array.isArray(nodes)) return ['workflow', path];
      const raw = nodes[path[1]] as { id?: unknown; type?: unknown } | undefined;
      const id = typeof raw?.id === 'number' || typeof raw?.id === 'string' ? String(raw.id) : undefined;
      const who = id === undefined ? `workflow node at nodes[${path[1]}]` : typeof raw?.type === 'string' ? nodeLabel(id, raw.type) : `Node #${id}`;
      return [who, path.slice(2)];
    }),
  );
}

/** An API prompt checked at the boundary; throws a WorkflowError naming the node and field. */
export function parseApiPrompt(doc: unknown): ApiPrompt {
  const r = apiPromptSchema.safeParse(doc);
  if (r.success) return r.data;
  throw new WorkflowError(
    describeIssues(r.error.issues, (path) => {
      if (path.length === 0) return ['prompt', path];
      const raw = (doc as Record<string, { class_type?: unknown } | undefined>)[String(path[0])];
      const ct = raw?.class_type;
      return [typeof ct === 'string' && ct !== '' ? nodeLabel(String(path[0]), ct) : `Node #${String(path[0])}`, path.slice(1)];
    }),
  );
}

/** True for the API format (a non-empty object of nodes with a class_type), false for anything else, a UI workflow included. */
export function isApiPrompt(doc: unknown): doc is ApiPrompt {
  return apiShape.safeParse(doc).success;
}
const apiShape = z.record(z.string(), z.looseObject({ class_type: z.string() })).refine((p) => Object.keys(p).length > 0);

type Path = readonly PropertyKey[];

/** `Node #3 (Sample): inputs[1].link: expected …`; at most three issues, then how many more. */
function describeIssues(issues: readonly z.core.$ZodIssue[], who: (path: Path) => [string, Path]): string {
  const lines = issues.slice(0, 3).map((issue) => {
    const [subject, rest] = who(issue.path);
    return `${subject}: ${rest.length > 0 ? `${formatPath(rest)}: ` : ''}${issue.message}`;
  });
  if (issues.length > 3) lines.push(`and ${issues.length - 3} more`);
  return lines.join('; ');
}

function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
