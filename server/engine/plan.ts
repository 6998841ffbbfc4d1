// Which nodes a prompt needs and in what order: the ancestors of the requested outputs,
// sorted so every node comes after the nodes it reads from. Ties break by node id, so the
// same prompt always runs in the same order. Cycles are reported, never run.
import type { ApiPrompt, Link } from '../core/index.ts';

/** A well-formed link value: `[sourceId, outputIndex]` with a string id and an integer index ≥ 0. */
export function asLink(v: unknown): Link | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [id, index] = v as unknown[];
  if (typeof id !== 'string' || typeof index !== 'number' || !Number.isInteger(index) || index < 0) return undefined;
  return [id, index];
}

/** Numeric ids in numeric order, before any other ids (in code-unit order). */
export function compareIds(a: string, b: string): number {
  const na = isNumericId(a);
  const nb = isNumericId(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isNumericId(s: string): boolean {
  if (s.length === 0 || (s.length > 1 && s.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** One incoming link of a node: the input it feeds, its source node and output index. */
export interface InEdge {
  input: string;
  source: string;
  index: number;
}

/** The links into `id` that point at nodes present in the prompt (malformed links are validate's business). */
export function inEdges(prompt: ApiPrompt, id: string): InEdge[] {
  const edges: InEdge[] = [];
  const inputs = prompt[id]?.inputs;
  if (!inputs || typeof inputs !== 'object') return edges;
  for (const name in inputs) {
    const link = asLink(inputs[name]);
    if (link && Object.prototype.hasOwnProperty.call(prompt, link[0])) edges.push({ input: name, source: link[0], index: link[1] });
  }
  return edges;
}

/** `targets` and every node they read from, directly or not. */
export function ancestors(prompt: ApiPrompt, targets: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const t of targets) {
    if (Object.prototype.hasOwnProperty.call(prompt, t) && !seen.has(t)) {
      seen.add(t);
      stack.push(t);
    }
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const e of inEdges(prompt, id)) {
      if (!seen.has(e.source)) {
        seen.add(e.source);
        stack.push(e.source);
      }
    }
  }
  return seen;
}

export interface Plan {
  /** Ancestors of the targets in dependency order; nodes in or behind a cycle are left out. */
  order: string[];
  /** Each cycle as the ids of its nodes (strongly connected components of more than one node, or self-links). */
  cycles: string[][];
  /** Incoming links of every planned node (and of cycle members), computed once. */
  edges: Map<string, InEdge[]>;
}

export function planExecution(prompt: ApiPrompt, targets: Iterable<string>): Plan {
  const nodes = ancestors(prompt, targets);
  const edges = new Map<string, InEdge[]>();
  const dependents = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const id of nodes) {
    const es = inEdges(prompt, id);
    edges.set(id, es);
    // Several links from the same source count once.
    const sources = new Set(es.map((e) => e.source));
    pending.set(id, sources.size);
    for (const s of sources) {
      let d = dependents.get(s);
      if (!d) dependents.set(s, (d = []));
      d.push(id);
    }
  }
  const ready = new IdHeap();
  for (const [id, n] of pending) if (n === 0) ready.push(id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    for (const d of dependents.get(id) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  const cycles = order.length === nodes.size ? [] : findCycles(nodes, edges);
  return { order, cycles, edges };
}

/** Tarjan's strongly connected components, keeping only the cyclic ones; ids sorted within and between cycles. */
function findCycles(nodes: Set<string>, edges: Map<string, InEdge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  // Iterative to survive long chains.
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const es = edges.get(frame.id) ?? [];
      if (frame.next < es.length) {
        const w = es[frame.next++].source;
        if (!nodes.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== frame.id);
        const selfLoop = scc.length === 1 && es.some((e) => e.source === frame.id);
        if (scc.length > 1 || selfLoop) cycles.push(scc.sort(compareIds));
      }
    }
  }
  return cycles.sort((a, b) => compareIds(a[0], b[0]));
}

/** A binary min-heap of node ids (by compareIds), for a deterministic topological order. */
class IdHeap {
  private readonly items: string[] = [];
  get size(): number {
    return this.items.length;
  }
  push(id: string): void {
    const a = this.items;
    a.push(id);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareIds(a[p], a[i]) <= 0) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): string {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && compareIds(a[l], a[m]) < 0) m = l;
        if (r < a.length && compareIds(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
