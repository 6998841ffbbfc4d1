// Node outputs kept between prompts, keyed by everything that determines them: the node
// type, its literal inputs, the keys of the nodes it reads from, and the definition's
// fingerprint. Re-queueing a graph with one changed literal re-runs only what depends on it.
// Least recently used entries go first when the memory budget is exceeded.
import { createHash } from 'node:crypto';
import type { ApiPrompt, OptionsEnv, UiOutput } from '../core/index.ts';
import { isWidgetType } from '../core/index.ts';
import type { NodeRegistry } from './registry.ts';
import { asLink } from './plan.ts';
import { absentValue } from './defaults.ts';
import { nodeLabel } from '../core/index.ts';

export interface CacheEntry {
  readonly outputs: readonly unknown[];
  readonly ui?: UiOutput;
  /** Estimated memory held by this entry. */
  readonly bytes: number;
}

/** A node whose cache key could not be computed (its fingerprint() threw). */
export class NodeKeyError extends Error {
  constructor(
    readonly nodeId: string,
    readonly classType: string,
    cause: unknown,
  ) {
    super(`${nodeLabel(nodeId, classType)}: fingerprint failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'NodeKeyError';
  }
}

export class OutputCache {
  private readonly entries = new Map<string, CacheEntry>();
  private used = 0;

  /** @param budgetBytes the most memory (estimated) that cached outputs may hold. */
  constructor(readonly budgetBytes: number) {}

  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.used;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The entry for `key`, marked as most recently used. */
  get(key: string): CacheEntry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Stores a node's result; returns false when it alone is bigger than the budget (then nothing is kept). */
  set(key: string, outputs: readonly unknown[], ui?: UiOutput): boolean {
    this.delete(key);
    const bytes = estimateBytes(outputs) + (ui ? estimateBytes(ui) : 0) + key.length * 2;
    if (bytes > this.budgetBytes) return false;
    for (const [k, e] of this.entries) {
      if (this.used + bytes <= this.budgetBytes) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
    this.entries.set(key, { outputs, ui, bytes });
    this.used += bytes;
    return true;
  }

  delete(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    this.used -= e.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  /**
   * The cache key of every node in `order` (a dependency order, sources first). Keys are
   * computed once per prompt; a fingerprint() receives the node's literal inputs (defaults
   * filled, linked inputs absent). Throws NodeKeyError when a fingerprint() throws.
   */
  async keysFor(prompt: ApiPrompt, order: readonly string[], registry: NodeRegistry, env: OptionsEnv): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (const id of order) {
      const node = prompt[id];
      const def = registry.get(node.class_type);
      let material = node.class_type;
      const literals: Record<string, unknown> = {};
      const names = def ? Object.keys(def.inputs) : Object.keys(node.inputs).sort();
      for (const name of names) {
        let v = node.inputs[name];
        const link = asLink(v);
        if (link) {
          material += `\u0000${name}\u0001L${keys.get(link[0]) ?? `missing:${link[0]}`}:${link[1]}`;
          continue;
        }
        const spec = def?.inputs[name];
        if (v === undefined && spec) v = absentValue(spec);
        if (v === undefined) continue;
        literals[name] = v;
        material += `\u0000${name}\u0001${stableStringify(v)}`;
      }
      if (def?.fingerprint) {
        try {
          material += `\u0000\u0002${await def.fingerprint(literals as never, env)}`;
        } catch (e) {
          throw new NodeKeyError(id, node.class_type, e);
        }
      }
      keys.set(id, createHash('sha1').update(material).digest('base64'));
    }
    return keys;
  }
}

/** JSON with object keys sorted, so equal literals give equal keys whatever their key order. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  }
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${Array.from(v as unknown as ArrayLike<number>).join(',')})`;
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

const MAX_DEPTH = 6;
/** Long plain arrays are sized from a sample of their first elements. */
const SAMPLE = 256;

/**
 * Estimated memory of a value: typed arrays by byteLength, objects with a numeric
 * `byteSize` by that, ImageBatch-like `{data: TypedArray}` by the data, strings by
 * 2 bytes a character, plain arrays and objects recursively (depth-limited).
 */
export function estimateBytes(v: unknown, depth = 0, seen: Set<object> = new Set()): number {
  switch (typeof v) {
    case 'string':
      return 16 + v.length * 2;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      return 8;
  }
  if (v === null) return 8;
  const o = v as Record<string, unknown>;
  if (seen.has(o)) return 0;
  seen.add(o);
  if (ArrayBuffer.isView(o)) return o.byteLength;
  if (o instanceof ArrayBuffer) return o.byteLength;
  if (typeof o.byteSize === 'number' && Number.isFinite(o.byteSize)) return o.byteSize;
  if (ArrayBuffer.isView(o.data)) return 64 + o.data.byteLength;
  if (depth >= MAX_DEPTH) return 64;
  if (Array.isArray(o)) {
    const n = Math.min(o.length, SAMPLE);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += estimateBytes(o[i], depth + 1, seen);
    return 16 + (n === 0 ? 0 : (sum * o.length) / n);
  }
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) return 64;
  let sum = 16;
  for (const k in o) sum += k.length * 2 + estimateBytes(o[k], depth + 1, seen);
  return sum;
}
