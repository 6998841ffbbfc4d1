// Runs an example workflow headless, in-process, through the same engine as the server and
// `svdiff-studio run`: UI → API conversion, optional input overrides per node key,
// validation, execution. Used by the workflow tests (reduced steps) and eval-workflows.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { imageTypeDir, type ApiPrompt, type DeviceName, type ImageRef, type Storage } from '../../nodes/define.ts';
import type { NodeRegistry } from '../../server/engine/registry.ts';
import { executePrompt, OutputCache, validatePrompt, workflowToPrompt } from '../../server/engine/index.ts';
import { nodeId } from './example-workflows.ts';
import type { WorkflowDesc } from './workflow-builder.ts';

export const WORKFLOWS_DIR = fileURLToPath(new URL('../../workflows/', import.meta.url));

/** Copies workflows/assets/ into the data folder's input/ (what `run` would need; files already there are kept). */
export async function readWorkflow(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(WORKFLOWS_DIR, `${name}.json`), 'utf8'));
}

/** Input overrides by node key: `{train: {steps: 4}}`. */
export type Overrides = Record<string, Record<string, unknown>>;

export function patchPrompt(prompt: ApiPrompt, desc: WorkflowDesc, overrides: Overrides): ApiPrompt {
  const out: ApiPrompt = structuredClone(prompt);
  for (const [key, inputs] of Object.entries(overrides)) {
    const id = nodeId(desc, key);
    const node = out[id];
    if (!node) throw new Error(`workflow has no node ${id} (${key})`);
    for (const [name, v] of Object.entries(inputs)) {
      if (Array.isArray(node.inputs[name])) throw new Error(`${key}.${name} is linked; cannot override it`);
      node.inputs[name] = v;
    }
  }
  return out;
}

/** Every input of every node of `type` set to `inputs` (e.g. all Sample steps). */
export function patchType(prompt: ApiPrompt, type: string, inputs: Record<string, unknown>): ApiPrompt {
  const out: ApiPrompt = structuredClone(prompt);
  for (const node of Object.values(out)) if (node.class_type === type) Object.assign(node.inputs, inputs);
  return out;
}

export interface RunContext {
  registry: NodeRegistry;
  storage: Storage;
  device?: DeviceName;
  cache?: OutputCache;
  log?: (line: string) => void;
}

export interface WorkflowRun {
  /** Saved images per output node id, as absolute paths. */
  images: Record<string, string[]>;
  ms: number;
}

export async function runPrompt(prompt: ApiPrompt, ctx: RunContext): Promise<WorkflowRun> {
  const v = await validatePrompt(prompt, ctx.registry, { storage: ctx.storage });
  if (!v.ok) {
    const errs = Object.entries(v.node_errors).flatMap(([id, ne]) => ne.errors.map((e) => `#${id} ${ne.class_type}: ${e.message} ${e.details ?? ''}`));
    throw new Error(`workflow does not validate: ${v.error?.message ?? ''}\n${errs.join('\n')}`);
  }
  const t0 = performance.now();
  const result = await executePrompt(
    { promptId: randomUUID(), prompt, extraData: {}, outputs: v.outputs },
    {
      registry: ctx.registry,
      cache: ctx.cache ?? new OutputCache(1 << 30),
      storage: ctx.storage,
      runtime: { device: ctx.device ?? 'cpu' },
      signal: new AbortController().signal,
      emit: () => {},
      log: ctx.log ?? (() => {}),
    },
  );
  if (result.status !== 'success') {
    const e = result.error;
    throw new Error(e ? `node #${e.node_id} (${e.node_type}): ${e.exception_message}` : `workflow ${result.status}`);
  }
  const images: Record<string, string[]> = {};
  for (const [id, ui] of Object.entries(result.outputs)) {
    const refs = (Array.isArray(ui.images) ? ui.images : []) as ImageRef[];
    if (refs.length === 0) continue;
    images[id] = refs.map((r) => {
      const dir = imageTypeDir(ctx.storage, r.type);
      return join(dir, r.subfolder ?? '', r.filename);
    });
  }
  return { images, ms: performance.now() - t0 };
}

/** Reads workflows/<name>.json, converts it, applies overrides and runs it. */
export async function runWorkflow(name: string, desc: WorkflowDesc, overrides: Overrides, ctx: RunContext, patch?: (p: ApiPrompt) => ApiPrompt): Promise<WorkflowRun> {
  let p = patchPrompt(workflowToPrompt(await readWorkflow(name), ctx.registry), desc, overrides);
  if (patch) p = patch(p);
  return runPrompt(p, ctx);
}
