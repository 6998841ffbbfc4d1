// Engine overhead: a 200-node graph of trivial nodes, run uncached (target ≤ 1 ms a node)
// and fully cached (target ≤ 20 ms for the whole re-run). Run alone: npx tsx bench/engine.ts
import { pathToFileURL } from 'node:url';
import { defineNode, type ApiPrompt, type NodeDefinition, type Storage } from '../nodes/define.ts';
import { NodeRegistry } from '../server/engine/registry.ts';
import { OutputCache, executePrompt, validatePrompt, type ExecuteDeps } from '../server/engine/index.ts';
import { median } from './stats.ts';

const Num = defineNode({
  type: 'BenchNum',
  displayName: 'Number',
  category: 'bench',
  description: 'a literal',
  inputs: { value: { type: 'INT', default: 0, min: 0, max: 1_000_000, controlAfterGenerate: true } },
  outputs: [{ name: 'n', type: 'NUM' }],
  async run({ value }) {
    return { outputs: [value] };
  },
});
const Add = defineNode({
  type: 'BenchAdd',
  displayName: 'Add',
  category: 'bench',
  description: 'a + b',
  inputs: { a: { type: 'NUM' }, b: { type: 'NUM' }, scale: { type: 'FLOAT', default: 1, optional: true } },
  outputs: [{ name: 'sum', type: 'NUM' }],
  async run({ a, b, scale }) {
    return { outputs: [((a as number) + (b as number)) * scale!] };
  },
});
const Out = defineNode({
  type: 'BenchOut',
  displayName: 'Output',
  category: 'bench',
  description: 'shows a number',
  inputs: { n: { type: 'NUM' } },
  outputs: [],
  outputNode: true,
  async run({ n }) {
    return { outputs: [], ui: { value: [n] } };
  },
});

const NODES = 200;

/** 100 literals, 99 adders folding them left to right, one output: 200 nodes. */
function graph(seed: number): ApiPrompt {
  const p: ApiPrompt = {};
  const literals = NODES / 2;
  for (let i = 0; i < literals; i++) p[String(i + 1)] = { class_type: 'BenchNum', inputs: { value: i === 0 ? seed : i } };
  let prev = '1';
  for (let i = 1; i < literals; i++) {
    const id = String(literals + i);
    p[id] = { class_type: 'BenchAdd', inputs: { a: [prev, 0], b: [String(i + 1), 0] } };
    prev = id;
  }
  p[String(NODES)] = { class_type: 'BenchOut', inputs: { n: [prev, 0] } };
  return p;
}

const storage = { dataDir: '/nonexistent' } as Storage;

export async function benchEngine(): Promise<Record<string, string | number>> {
  const registry = new NodeRegistry([Num, Add, Out] as unknown as NodeDefinition[]);
  const cache = new OutputCache(256 * 1024 * 1024);
  let events = 0;
  const deps: ExecuteDeps = { registry, cache, storage, runtime: { device: 'cpu' }, emit: () => void events++, signal: new AbortController().signal };
  const prompt = graph(0);
  const v = await validatePrompt(prompt, registry, { storage });
  if (!v.ok) throw new Error(`bench graph invalid: ${JSON.stringify(v.error)}`);

  const validateMs: number[] = [];
  const uncachedMs: number[] = [];
  const cachedMs: number[] = [];
  const REPS = 15;
  for (let r = 0; r < REPS + 3; r++) {
    let t = performance.now();
    await validatePrompt(prompt, registry, { storage });
    const tv = performance.now() - t;
    cache.clear();
    t = performance.now();
    const res = await executePrompt({ promptId: `u${r}`, prompt, extraData: {}, outputs: v.outputs }, deps);
    const tu = performance.now() - t;
    if (res.status !== 'success' || res.executed.length !== NODES) throw new Error(`uncached run: ${res.status}, ${res.executed.length} executed`);
    t = performance.now();
    const again = await executePrompt({ promptId: `c${r}`, prompt, extraData: {}, outputs: v.outputs }, deps);
    const tc = performance.now() - t;
    if (again.executed.length !== 0 || again.cached.length !== NODES) throw new Error('cached re-run ran nodes');
    if (r >= 3) {
      validateMs.push(tv);
      uncachedMs.push(tu);
      cachedMs.push(tc);
    }
  }
  // Seed change: only the seed's dependents (the whole adder chain here) re-run.
  const seeded = graph(1);
  let t = performance.now();
  const s = await executePrompt({ promptId: 's', prompt: seeded, extraData: {}, outputs: v.outputs }, deps);
  const seedMs = performance.now() - t;

  const uncached = median(uncachedMs);
  return {
    nodes: NODES,
    'uncached run ms (median)': round(uncached),
    'engine overhead ms/node (target ≤ 1)': round(uncached / NODES, 4),
    'fully cached re-run ms (median, target ≤ 20)': round(median(cachedMs)),
    'seed change re-run ms': round(seedMs),
    'seed change re-ran nodes': s.executed.length,
    'validatePrompt ms (median)': round(median(validateMs)),
    repetitions: REPS,
  };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchEngine().then(
    (r) => {
      for (const [k, v] of Object.entries(r)) console.log(`${k}: ${v}`);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
