// Discovers node definitions: every `.ts` file in nodes/ (and its sub-folders) that
// default-exports a NodeDefinition. The engine knows nodes only through this: it loads them by
// path at run time, so no layer below nodes/ imports a node file.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ComboInput, NodeDefinition, OptionsEnv, InputSpec } from '../core/index.ts';

export class NodeRegistry {
  private readonly defs = new Map<string, NodeDefinition>();

  constructor(defs: Iterable<NodeDefinition> = []) {
    for (const d of defs) this.add(d);
  }

  add(def: NodeDefinition): void {
    if (this.defs.has(def.type)) throw new Error(`node type ${def.type} is defined twice`);
    this.defs.set(def.type, def);
  }

  get(type: string): NodeDefinition | undefined {
    return this.defs.get(type);
  }

  all(): NodeDefinition[] {
    return [...this.defs.values()];
  }

  /** ComfyUI's `/object_info` shape, so ComfyUI-aware clients can read it. */
  async objectInfo(env: OptionsEnv): Promise<Record<string, ObjectInfo>> {
    const out: Record<string, ObjectInfo> = {};
    for (const def of this.defs.values()) out[def.type] = await describe(def, env);
    return out;
  }
}

export interface ObjectInfo {
  name: string;
  display_name: string;
  description: string;
  category: string;
  input: { required: Record<string, [unknown, Record<string, unknown>?]>; optional: Record<string, [unknown, Record<string, unknown>?]> };
  input_order: { required: string[]; optional: string[] };
  output: string[];
  output_name: string[];
  output_is_list: boolean[];
  output_node: boolean;
  /** ComfyUI's module of the node class; 'nodes' is what it reports for its built-ins. */
  python_module: string;
  deprecated: boolean;
  experimental: boolean;
  api_node: boolean;
}

async function describe(def: NodeDefinition, env: OptionsEnv): Promise<ObjectInfo> {
  const required: ObjectInfo['input']['required'] = {};
  const optional: ObjectInfo['input']['optional'] = {};
  for (const [name, spec] of Object.entries(def.inputs)) {
    (spec.optional ? optional : required)[name] = await describeInput(spec, env);
  }
  return {
    name: def.type,
    display_name: def.displayName,
    description: def.description,
    category: def.category,
    input: { required, optional },
    input_order: { required: Object.keys(required), optional: Object.keys(optional) },
    output: def.outputs.map((o) => o.type),
    output_name: def.outputs.map((o) => o.name),
    output_is_list: def.outputs.map(() => false),
    output_node: def.outputNode === true,
    python_module: 'nodes',
    deprecated: false,
    experimental: false,
    api_node: false,
  };
}

async function describeInput(spec: InputSpec, env: OptionsEnv): Promise<[unknown, Record<string, unknown>?]> {
  const { type, optional: _o, ...rest } = spec as InputSpec & Record<string, unknown>;
  if (spec.type === 'COMBO') {
    // SocketInput's open string type defeats narrowing on 'COMBO'.
    const combo = spec as ComboInput;
    const options = typeof combo.options === 'function' ? await combo.options(env) : combo.options;
    const extra: Record<string, unknown> = {};
    if (combo.tooltip !== undefined) extra.tooltip = combo.tooltip;
    if (combo.default !== undefined) extra.default = combo.default;
    if (combo.imageUpload) extra.image_upload = true;
    return [[...options], extra];
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    extra[k === 'controlAfterGenerate' ? 'control_after_generate' : k] = v;
  }
  return [type, extra];
}

/** The repository's node definitions: the top layer, loaded by path, never imported. */
const NODES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../nodes');

/** Loads every node file under `dir` (default: the repository's nodes/). Tests and helpers are skipped. */
export async function loadRegistry(dir: string = NODES_DIR): Promise<NodeRegistry> {
  const registry = new NodeRegistry();
  for (const file of await nodeFiles(dir)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: NodeDefinition };
    if (mod.default && typeof mod.default === 'object' && typeof mod.default.run === 'function') registry.add(mod.default);
  }
  return registry;
}

const NOT_NODES = new Set(['define.ts', 'registry.ts', 'index.ts']);

async function nodeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'lib' && !e.name.startsWith('_')) files.push(...(await nodeFiles(p)));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') && !NOT_NODES.has(e.name)) {
      files.push(p);
    }
  }
  return files;
}
