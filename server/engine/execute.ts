// Runs a validated prompt in-process: plans the order, takes what the cache already has,
// runs the rest one node at a time and reports progress with ComfyUI's event sequence:
//   execution_start, execution_cached, (executing, progress*, executed?)*,
//   executing {node: null}, then exactly one of execution_success | execution_error |
//   execution_interrupted.
// Node failures never throw out of executePrompt: they end the prompt with an error event.
import type { ApiPrompt, ComboInput, NodeContext, NodeDefinition, OptionsEnv, ProgressExtra, Runtime, Storage, UiOutput } from '../core/index.ts';
import { isWidgetType } from '../core/index.ts';
import type { NodeRegistry } from './registry.ts';
import type { EngineEvent, ExecutionErrorData, ExecutionStatus } from './events.ts';
import { NodeKeyError, type CacheEntry, type OutputCache } from './cache.ts';
import { planExecution, type InEdge } from './plan.ts';
import { comboProblem, OptionsResolver } from './options.ts';
import { absentValue } from './defaults.ts';
import { summarizeValue } from './describe.ts';
import { InputError, inputMessage, nodeLabel } from '../core/index.ts';

export interface ExecuteRequest {
  promptId: string;
  prompt: ApiPrompt;
  extraData: Record<string, unknown>;
  /** Output node ids to run: ValidationResult.outputs. */
  outputs: string[];
}

export interface ExecuteDeps {
  registry: NodeRegistry;
  cache: OutputCache;
  storage: Storage;
  runtime: Runtime;
  emit(e: EngineEvent): void;
  /** Aborting it interrupts the prompt; nodes see it as ctx.signal. */
  signal: AbortSignal;
  /** Where ctx.log goes; defaults to stderr. */
  log?(message: string, nodeId: string, promptId: string): void;
}

export interface ExecuteResult {
  status: ExecutionStatus;
  /** UI output per node (run now or taken from the cache), as in ComfyUI's history. */
  outputs: Record<string, UiOutput>;
  /** Nodes run by this prompt, in run order. */
  executed: string[];
  /** Nodes whose outputs came from the cache. */
  cached: string[];
  error?: ExecutionErrorData;
}

/**
 * ComfyUI's per-prompt preview switch: `extra_data.preview_method` ("auto", "latent2rgb",
 * "taesd") turns live previews on; absent, "none" or "default" (the server's default, none, as
 * ComfyUI starts) leaves them off, so script clients get only the frames they asked for.
 */
export function previewsRequested(extraData: Record<string, unknown>): boolean {
  const m = extraData.preview_method;
  return typeof m === 'string' && m !== 'none' && m !== 'default';
}

/** At most one progress event per node per this many ms (the final value == max always goes out). */
const PROGRESS_INTERVAL_MS = 50;

/** Thrown inside the engine to end the prompt with an error attributed to a node. */
class NodeFailure {
  constructor(
    readonly nodeId: string,
    readonly nodeType: string,
    readonly error: unknown,
    readonly inputs: Record<string, unknown>,
  ) {}
}
class Interrupted {
  constructor(
    readonly nodeId: string,
    readonly nodeType: string,
  ) {}
}

export async function executePrompt(req: ExecuteRequest, deps: ExecuteDeps): Promise<ExecuteResult> {
  const { promptId, prompt } = req;
  const { registry, cache, signal } = deps;
  const emit = (e: EngineEvent) => {
    try {
      deps.emit(e);
    } catch {
      // A broken listener must not break the run.
    }
  };
  const env: OptionsEnv = { storage: deps.storage };
  const executed: string[] = [];
  const cached: string[] = [];
  const uiOutputs: Record<string, UiOutput> = {};
  const finish = (status: ExecutionStatus, terminal: EngineEvent, error?: ExecutionErrorData): ExecuteResult => {
    emit({ type: 'executing', data: { prompt_id: promptId, node: null } });
    emit(terminal);
    return { status, outputs: uiOutputs, executed, cached, error };
  };

  emit({ type: 'execution_start', data: { prompt_id: promptId, timestamp: Date.now() } });
  try {
    const plan = planExecution(prompt, req.outputs);
    if (plan.cycles.length > 0) {
      const c = plan.cycles[0];
      throw new NodeFailure(c[0], prompt[c[0]].class_type, new Error(`dependency cycle between nodes ${c.map((x) => `#${x}`).join(', ')}`), {});
    }
    let keys: Map<string, string>;
    try {
      keys = await cache.keysFor(prompt, plan.order, registry, env);
    } catch (e) {
      if (e instanceof NodeKeyError) throw new NodeFailure(e.nodeId, e.classType, e, {});
      throw e;
    }

    // Take cache hits now (pinning them for this run, whatever gets evicted later), then
    // walk back from the outputs: behind a hit nothing needs to run.
    const hits = new Map<string, CacheEntry>();
    for (const id of plan.order) {
      const e = cache.get(keys.get(id)!);
      if (e) hits.set(id, e);
    }
    const needed = new Set<string>();
    const stack = req.outputs.filter((id) => keys.has(id));
    for (const id of stack) needed.add(id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (hits.has(id)) continue;
      for (const e of plan.edges.get(id)!) {
        if (!needed.has(e.source)) {
          needed.add(e.source);
          stack.push(e.source);
        }
      }
    }
    for (const id of plan.order) if (hits.has(id)) cached.push(id);
    emit({ type: 'execution_cached', data: { prompt_id: promptId, nodes: cached.slice(), timestamp: Date.now() } });

    const results = new Map<string, readonly unknown[]>();
    const resolver = new OptionsResolver(env);
    for (const id of plan.order) {
      if (!needed.has(id)) continue;
      const node = prompt[id];
      const hit = hits.get(id);
      if (hit) {
        results.set(id, hit.outputs);
        if (hit.ui) {
          uiOutputs[id] = hit.ui;
          emit({ type: 'executed', data: { prompt_id: promptId, node: id, display_node: id, output: hit.ui } });
        }
        continue;
      }
      if (signal.aborted) throw new Interrupted(id, node.class_type);
      const def = registry.get(node.class_type);
      if (!def) throw new NodeFailure(id, node.class_type, new Error(`${nodeLabel(id, node.class_type)}: unknown node type`), {});
      emit({ type: 'executing', data: { prompt_id: promptId, node: id, display_node: id } });
      const inputs = await gatherInputs(id, node.inputs, def, plan.edges.get(id)!, results, resolver);
      const result = await runNode(id, def, inputs, req, deps, emit);
      if (signal.aborted) throw new Interrupted(id, node.class_type);
      results.set(id, result.outputs);
      cache.set(keys.get(id)!, result.outputs, result.ui);
      executed.push(id);
      if (result.ui) {
        uiOutputs[id] = result.ui;
        emit({ type: 'executed', data: { prompt_id: promptId, node: id, display_node: id, output: result.ui } });
      }
    }
  } catch (e) {
    const done = [...cached, ...executed];
    if (e instanceof Interrupted) {
      return finish('interrupted', {
        type: 'execution_interrupted',
        data: { prompt_id: promptId, node_id: e.nodeId, node_type: e.nodeType, executed: done, timestamp: Date.now() },
      });
    }
    const f = e instanceof NodeFailure ? e : new NodeFailure('', '', e, {});
    const error = errorData(promptId, f, done);
    return finish('error', { type: 'execution_error', data: error }, error);
  }
  return finish('success', { type: 'execution_success', data: { prompt_id: promptId, timestamp: Date.now() } });
}

/** The run-time inputs of a node: link values, literals, and defaults for absent optional widgets. */
async function gatherInputs(
  id: string,
  literal: Record<string, unknown>,
  def: NodeDefinition,
  edges: InEdge[],
  results: Map<string, readonly unknown[]>,
  resolver: OptionsResolver,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  for (const name in def.inputs) {
    const spec = def.inputs[name];
    const v = literal[name];
    if (v === undefined) {
      inputs[name] = absentValue(spec);
    } else if (!Array.isArray(v)) {
      inputs[name] = v;
    }
  }
  for (const e of edges) {
    const spec = def.inputs[e.input];
    if (!spec) continue; // unknown extra inputs are ignored
    const out = results.get(e.source);
    if (!out) throw new NodeFailure(id, def.type, new InputError(e.input, `has no value from node #${e.source}`), inputs);
    const value = out[e.index];
    inputs[e.input] = value;
    // A COMBO fed by a link is checked here: validation could only see the link's type.
    if (spec.type === 'COMBO') {
      const problem = await comboProblem(spec as ComboInput, value, resolver);
      if (problem) throw new NodeFailure(id, def.type, new InputError(e.input, problem.reason), inputs);
    }
  }
  return inputs;
}

async function runNode(
  id: string,
  def: NodeDefinition,
  inputs: Record<string, unknown>,
  req: ExecuteRequest,
  deps: ExecuteDeps,
  emit: (e: EngineEvent) => void,
): Promise<{ outputs: readonly unknown[]; ui?: UiOutput }> {
  const promptId = req.promptId;
  let finished = false;
  let lastProgress = -Infinity;
  let lastPreview = -Infinity;
  const previews = previewsRequested(req.extraData);
  const ctx: NodeContext = {
    promptId,
    nodeId: id,
    previews,
    signal: deps.signal,
    storage: deps.storage,
    runtime: deps.runtime,
    prompt: req.prompt,
    extraData: req.extraData,
    progress(value: number, max: number, extra?: ProgressExtra) {
      if (finished) return;
      const now = performance.now();
      const final = value >= max;
      if (final || now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        const data: { prompt_id: string; node: string; value: number; max: number; loss?: number } = { prompt_id: promptId, node: id, value, max };
        if (extra?.loss !== undefined) data.loss = extra.loss;
        emit({ type: 'progress', data });
      }
      if (extra?.image) emit({ type: 'image', data: { prompt_id: promptId, node: id, png: extra.image } });
      if (previews && extra?.preview && (final || now - lastPreview >= PROGRESS_INTERVAL_MS)) {
        lastPreview = now;
        emit({ type: 'preview', data: { prompt_id: promptId, node: id, png: extra.preview } });
      }
    },
    log(message: string) {
      if (deps.log) deps.log(message, id, promptId);
      else process.stderr.write(`[${promptId} #${id} ${def.type}] ${message}\n`);
    },
  };
  let result: unknown;
  try {
    result = await def.run(inputs as never, ctx);
  } catch (e) {
    if (deps.signal.aborted) throw new Interrupted(id, def.type);
    throw new NodeFailure(id, def.type, e, inputs);
  } finally {
    finished = true;
  }
  const r = result as { outputs?: unknown; ui?: UiOutput } | null | undefined;
  if (!r || typeof r !== 'object' || !Array.isArray(r.outputs) || r.outputs.length !== def.outputs.length) {
    const got = !r || typeof r !== 'object' ? summarizeValue(r) : Array.isArray(r.outputs) ? `${r.outputs.length} output(s)` : 'no outputs array';
    const err = new Error(`${nodeLabel(id, def.type)} returned ${got}; expected {outputs: [...]} with ${def.outputs.length} output(s)`);
    err.name = 'InvalidNodeOutput';
    throw new NodeFailure(id, def.type, err, inputs);
  }
  return { outputs: r.outputs, ui: r.ui ?? undefined };
}

function errorData(promptId: string, f: NodeFailure, executed: string[]): ExecutionErrorData {
  const e = f.error;
  const isErr = e instanceof Error;
  const current_inputs: Record<string, string[]> = {};
  for (const k in f.inputs) current_inputs[k] = [summarizeValue(f.inputs[k])];
  // An input at fault: labelled with the node here, once, and named for clients to mark.
  const input = e instanceof InputError ? { input_name: e.input, message: inputMessage(nodeLabel(f.nodeId, f.nodeType), e.input, e.reason) } : undefined;
  return {
    prompt_id: promptId,
    node_id: f.nodeId,
    node_type: f.nodeType,
    executed,
    exception_message: input ? input.message : isErr ? e.message : String(e),
    ...(input ? { input_name: input.input_name } : {}),
    exception_type: isErr ? e.name || e.constructor.name : typeof e,
    traceback: isErr && e.stack ? e.stack.split('\n') : [],
    current_inputs,
    current_outputs: executed,
    timestamp: Date.now(),
  };
}
