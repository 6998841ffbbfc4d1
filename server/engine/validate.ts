// Prompt validation with ComfyUI's result shape and error type strings, so ComfyUI-aware
// clients can highlight the failing node and input. Only output nodes whose whole
// ancestry is valid are run; the rest are reported in node_errors.
import type { ApiPrompt, ComboInput, FloatInput, InputSpec, IntInput, NodeDefinition, OptionsEnv } from '../core/index.ts';
import { isWidgetType } from '../core/index.ts';
import type { NodeRegistry } from './registry.ts';
import { asLink, compareIds, planExecution, type InEdge } from './plan.ts';
import { comboProblem, OptionsResolver } from './options.ts';
import { absentValue } from './defaults.ts';
import { summarizeValue } from './describe.ts';
import { inputMessage, nodeLabel, type NodeErrors, type NodeInputError, type PromptError } from '../core/index.ts';

export interface ValidationResult {
  ok: boolean;
  error?: PromptError;
  node_errors: Record<string, NodeErrors>;
  /** Output node ids to run (those whose ancestry is valid), in id order. */
  outputs: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function validatePrompt(prompt: unknown, registry: NodeRegistry, env: OptionsEnv): Promise<ValidationResult> {
  if (!isObject(prompt)) {
    return fail({
      type: 'invalid_prompt',
      message: 'Cannot execute because the prompt is not an object of nodes',
      details: `got ${Array.isArray(prompt) ? 'an array' : summarizeValue(prompt)}`,
      extra_info: {},
    });
  }

  // Structure first, over every node (as ComfyUI does): a node that is not a node stops everything.
  const structural: Record<string, NodeErrors> = {};
  for (const id of Object.keys(prompt).sort(compareIds)) {
    const err = structuralError(id, prompt[id], registry);
    if (err) structural[id] = { errors: [err.error], dependent_outputs: [], class_type: err.classType };
  }
  const firstBad = Object.keys(structural)[0];
  if (firstBad !== undefined) {
    const first = structural[firstBad].errors[0];
    return fail({ type: 'invalid_prompt', message: first.message, details: first.details, extra_info: {} }, structural);
  }
  const p = prompt as ApiPrompt;
  const defs = new Map<string, NodeDefinition>();
  for (const id in p) defs.set(id, registry.get(p[id].class_type)!);

  const outputIds = Object.keys(p)
    .filter((id) => defs.get(id)!.outputNode === true)
    .sort(compareIds);
  if (outputIds.length === 0) {
    return fail({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: 'add an output node (e.g. Save Image)', extra_info: {} });
  }

  const plan = planExecution(p, outputIds);
  const resolver = new OptionsResolver(env);
  const own = new Map<string, NodeInputError[]>();
  for (const cycle of plan.cycles) {
    const members = new Set(cycle);
    // One shortened listing per cycle: naming all n members in each of the n messages made the
    // answer to one n-node cycle n² long (a 5,000-node cycle held the server for seconds).
    const shown = cycle.slice(0, CYCLE_IDS_SHOWN);
    const path = shown.map((c) => `#${c}`).join(', ') + (cycle.length > shown.length ? `, … (${cycle.length} nodes)` : '');
    for (const id of cycle) {
      const edge = plan.edges.get(id)!.find((e) => members.has(e.source))!;
      push(own, id, {
        type: 'dependency_cycle',
        message: inputMessage(nodeLabel(id, p[id].class_type), edge.input, `is part of a dependency cycle between nodes ${path}`),
        details: `${edge.input}: cycle ${path}`,
        extra_info: { input_name: edge.input, cycle: shown, cycle_length: cycle.length },
      });
    }
  }
  let checked = 0;
  for (const id of plan.edges.keys()) {
    const errors = await checkNode(id, p, defs, resolver, env);
    for (const e of errors) push(own, id, e);
    // Validation runs on the server's only thread: let other requests in now and then.
    if (++checked % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
  }

  // A node is valid when it has no errors of its own and everything it reads from is valid.
  const valid = new Set<string>();
  for (const id of plan.order) {
    if (own.has(id)) continue;
    if (plan.edges.get(id)!.every((e) => valid.has(e.source))) valid.add(id);
  }
  const good = outputIds.filter((id) => valid.has(id));

  const node_errors: Record<string, NodeErrors> = {};
  if (own.size > 0) {
    const dependents = dependentOutputs(plan.edges, plan.cycles, new Set(outputIds), own.keys());
    for (const id of [...own.keys()].sort(compareIds)) {
      node_errors[id] = { errors: own.get(id)!, dependent_outputs: dependents.get(id)!, class_type: p[id].class_type };
    }
  }
  if (good.length === 0) {
    const lines = Object.values(node_errors).flatMap((n) => n.errors.map((e) => e.message));
    return {
      ok: false,
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: lines.join('\n'), extra_info: {} },
      node_errors,
      outputs: [],
    };
  }
  return { ok: true, node_errors, outputs: good };
}

/** Nodes checked between two chances for the server to answer other requests. */
const YIELD_EVERY = 256;

/** Cycle members named in a dependency_cycle message; longer cycles are shortened with their length. */
const CYCLE_IDS_SHOWN = 8;

/**
 * For each failing node, the output nodes that read from it (directly or not), in id order.
 * Members of one cycle reach the same outputs, so the walk treats each cycle as one node and
 * remembers what each node reaches: a long cycle or many unrelated failing outputs cost linear
 * time (checking every output's ancestry for every failing node was quadratic).
 */
function dependentOutputs(edges: Map<string, InEdge[]>, cycles: string[][], outputs: Set<string>, failing: Iterable<string>): Map<string, string[]> {
  const rep = new Map<string, string>();
  const members = new Map<string, string[]>();
  for (const c of cycles) {
    members.set(c[0], c);
    for (const id of c) rep.set(id, c[0]);
  }
  const repOf = (id: string) => rep.get(id) ?? id;
  const readers = new Map<string, Set<string>>();
  for (const [id, es] of edges) {
    for (const e of es) {
      const from = repOf(e.source);
      const to = repOf(id);
      if (from === to) continue;
      let r = readers.get(from);
      if (!r) readers.set(from, (r = new Set()));
      r.add(to);
    }
  }
  const reached = new Map<string, Set<string>>();
  const walk = (start: string): Set<string> => {
    // Iterative post-order over a DAG (cycles collapsed): a node's outputs, then its readers'.
    const stack: { id: string; next: string[] }[] = [{ id: start, next: [...(readers.get(start) ?? [])] }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const r = top.next.pop();
      if (r !== undefined) {
        if (!reached.has(r)) stack.push({ id: r, next: [...(readers.get(r) ?? [])] });
        continue;
      }
      stack.pop();
      const found = new Set((members.get(top.id) ?? [top.id]).filter((id) => outputs.has(id)));
      for (const reader of readers.get(top.id) ?? []) for (const o of reached.get(reader)!) found.add(o);
      reached.set(top.id, found);
    }
    return reached.get(start)!;
  };
  const result = new Map<string, string[]>();
  for (const id of failing) {
    const r = repOf(id);
    result.set(id, [...(reached.get(r) ?? walk(r))].sort(compareIds));
  }
  return result;
}

function fail(error: PromptError, node_errors: Record<string, NodeErrors> = {}): ValidationResult {
  return { ok: false, error, node_errors, outputs: [] };
}

function push(map: Map<string, NodeInputError[]>, id: string, e: NodeInputError): void {
  const list = map.get(id);
  if (list) list.push(e);
  else map.set(id, [e]);
}

function structuralError(id: string, node: unknown, registry: NodeRegistry): { error: NodeInputError; classType: string } | undefined {
  if (!isObject(node)) {
    return {
      classType: '',
      error: { type: 'invalid_prompt', message: `Node #${id} is not an object`, details: `Node ID '#${id}'`, extra_info: { received_value: summarizeValue(node) } },
    };
  }
  const ct = node.class_type;
  if (typeof ct !== 'string' || ct === '') {
    return {
      classType: '',
      error: {
        type: 'invalid_prompt',
        message: `Cannot execute because node #${id} is missing the class_type property`,
        details: `Node ID '#${id}'`,
        extra_info: {},
      },
    };
  }
  if (!registry.get(ct)) {
    return {
      classType: ct,
      error: {
        type: 'missing_node_type',
        message: `Cannot execute because node #${id} has unknown type ${ct}`,
        details: `Node ID '#${id}'`,
        extra_info: { class_type: ct },
      },
    };
  }
  if (!isObject(node.inputs)) {
    return {
      classType: ct,
      error: { type: 'invalid_prompt', message: `${nodeLabel(id, ct)}: "inputs" must be an object`, details: `Node ID '#${id}'`, extra_info: {} },
    };
  }
  return undefined;
}

/** Socket types match when equal, when either is `*`, or when comma-separated unions overlap. */
export function typesMatch(inputType: string, outputType: string): boolean {
  if (inputType === outputType || inputType === '*' || outputType === '*') return true;
  if (!inputType.includes(',') && !outputType.includes(',')) return false;
  const a = new Set(inputType.split(',').map((s) => s.trim()));
  return outputType.split(',').some((s) => a.has(s.trim()));
}

/** Whether an input of `spec` may be fed by an output of type `outputType`. */
export function acceptsLink(spec: InputSpec, outputType: string): boolean {
  // A COMBO converted to an input takes any string; run time checks the value against the options.
  if (spec.type === 'COMBO') return outputType === 'STRING' || outputType === 'COMBO' || outputType === '*';
  return typesMatch(spec.type, outputType);
}

async function checkNode(
  id: string,
  prompt: ApiPrompt,
  defs: Map<string, NodeDefinition>,
  resolver: OptionsResolver,
  env: OptionsEnv,
): Promise<NodeInputError[]> {
  const node = prompt[id];
  const def = defs.get(id)!;
  const label = nodeLabel(id, node.class_type);
  const errors: NodeInputError[] = [];
  const literals: Record<string, unknown> = {};
  const err = (type: string, input: string, what: string, details: string, extra: Record<string, unknown> = {}) =>
    errors.push({ type, message: inputMessage(label, input, what), details: `${input}: ${details}`, extra_info: { input_name: input, ...extra } });

  for (const name in def.inputs) {
    const spec = def.inputs[name];
    const v = node.inputs[name];
    if (v === undefined) {
      if (!spec.optional) err('required_input_missing', name, 'is required but missing', 'Required input is missing');
      else if (absentValue(spec) !== undefined) literals[name] = absentValue(spec);
      continue;
    }
    if (Array.isArray(v)) {
      const link = asLink(v);
      if (!link) {
        err('bad_linked_input', name, 'has a malformed link', 'a link must be [node id (string), output index (integer ≥ 0)]', { received_value: v });
        continue;
      }
      const [src, index] = link;
      const srcDef = defs.get(src);
      if (!srcDef) {
        err('bad_linked_input', name, `links to node #${src}, which does not exist`, `no node #${src}`, { received_value: v });
        continue;
      }
      if (index >= srcDef.outputs.length) {
        err('bad_linked_input', name, `links to output ${index} of node #${src} (${srcDef.type}), which has ${srcDef.outputs.length} output(s)`, 'output index out of range', {
          received_value: v,
        });
        continue;
      }
      const received = srcDef.outputs[index].type;
      if (!acceptsLink(spec, received)) {
        err('return_type_mismatch', name, `expects ${spec.type} but is linked to a ${received} output of node #${src} (${srcDef.type})`, `received_type(${received}) mismatch input_type(${spec.type})`, {
          received_type: received,
          input_type: spec.type,
          linked_node: v,
        });
      }
      continue;
    }
    if (!isWidgetType(spec.type)) {
      err('invalid_input_type', name, `expects a link from a ${spec.type} output, got a value`, `${spec.type} inputs take a link, not ${summarizeValue(v)}`, { received_value: v });
      continue;
    }
    const before = errors.length;
    await checkWidget(spec, name, v, resolver, err);
    if (errors.length === before) literals[name] = v;
  }

  if (errors.length === 0 && def.validate) {
    try {
      const problems = await def.validate(literals as never, env);
      for (const [input, message] of Object.entries(problems ?? {})) {
        err('custom_validation_failed', input, message, message, { received_value: literals[input] });
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      errors.push({ type: 'exception_during_inner_validation', message: `${label}: validation failed: ${message}`, details: message, extra_info: {} });
    }
  }
  return errors;
}

type ErrFn = (type: string, input: string, what: string, details: string, extra?: Record<string, unknown>) => void;

async function checkWidget(spec: InputSpec, name: string, v: unknown, resolver: OptionsResolver, err: ErrFn): Promise<void> {
  const received = { received_value: v };
  const wrongType = (expected: string) =>
    err('invalid_input_type', name, `must be ${expected}, got ${JSON.stringify(v) ?? summarizeValue(v)}`, `Failed to convert an input value to a ${spec.type} value`, received);
  switch (spec.type) {
    case 'INT':
    case 'FLOAT': {
      if (spec.type === 'INT' ? !Number.isInteger(v) : typeof v !== 'number' || !Number.isFinite(v)) {
        return wrongType(spec.type === 'INT' ? 'an integer' : 'a finite number');
      }
      const n = v as number;
      // SocketInput's open `type` defeats narrowing on the union; the case label is the proof.
      const range = spec as IntInput | FloatInput;
      if (range.min !== undefined && n < range.min) {
        err('value_smaller_than_min', name, `is ${n}, smaller than the minimum ${range.min}`, `Value ${n} smaller than min of ${range.min}`, { ...received, min: range.min });
      } else if (range.max !== undefined && n > range.max) {
        err('value_bigger_than_max', name, `is ${n}, bigger than the maximum ${range.max}`, `Value ${n} bigger than max of ${range.max}`, { ...received, max: range.max });
      }
      return;
    }
    case 'BOOLEAN':
      if (typeof v !== 'boolean') wrongType('a boolean');
      return;
    case 'STRING':
      if (typeof v !== 'string') wrongType('a string');
      return;
    case 'COMBO': {
      const problem = await comboProblem(spec as ComboInput, v, resolver);
      if (problem) {
        const { options } = problem;
        const shown = options.length > 20 ? `${options.slice(0, 20).join(', ')}, … (${options.length})` : options.join(', ');
        err('value_not_in_list', name, problem.reason, `'${String(v)}' not in [${shown}]`, {
          ...received,
          options: options.slice(0, 100),
        });
      }
      return;
    }
  }
}
