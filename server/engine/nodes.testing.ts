// Tiny node definitions and fakes shared by the engine tests (not a node folder: the registry
// never loads this file). `makeTestRegistry()` returns fresh run counters per test.
import { defineNode, type NodeDefinition, type OptionsEnv, type Runtime, type Storage } from '../../nodes/define.ts';
import { NodeRegistry } from './registry.ts';
import type { EngineEvent } from './events.ts';

export const storage: Storage = {
  dataDir: '/nonexistent/data',
  inputDir: '/nonexistent/data/input',
  outputDir: '/nonexistent/data/output',
  tempDir: '/nonexistent/data/temp',
  shiftsDir: '/nonexistent/data/shifts',
  adaptersDir: '/nonexistent/data/adapters',
  workflowsDir: '/nonexistent/data/workflows',
  cacheDir: '/nonexistent/data/cache',
  modelsDir: '/nonexistent/models',
  resolveInside: () => {
    throw new Error('not in tests');
  },
  writeFileAtomic: async () => {
    throw new Error('not in tests');
  },
};
export const env: OptionsEnv = { storage };
export const runtime: Runtime = { device: 'cpu' };

export interface TestNodes {
  registry: NodeRegistry;
  /** How many times each node id ran. */
  runs: Map<string, number>;
  defs: Record<string, NodeDefinition>;
}

export function makeTestRegistry(extra: NodeDefinition[] = []): TestNodes {
  const runs = new Map<string, number>();
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);

  const Const = defineNode({
    type: 'Const',
    displayName: 'Constant',
    category: 'test',
    description: 'outputs its value',
    inputs: { value: { type: 'INT', default: 0, min: -1000, max: 1000, controlAfterGenerate: true } },
    outputs: [{ name: 'n', type: 'NUM' }],
    async run({ value }, ctx) {
      count(ctx.nodeId);
      return { outputs: [value] };
    },
  });
  const Add = defineNode({
    type: 'Add',
    displayName: 'Add',
    category: 'test',
    description: 'a + b (+ c) * scale',
    inputs: {
      a: { type: 'NUM' },
      b: { type: 'NUM' },
      c: { type: 'NUM', optional: true },
      scale: { type: 'FLOAT', default: 1, min: 0, max: 10, optional: true },
    },
    outputs: [{ name: 'sum', type: 'NUM' }],
    async run({ a, b, c, scale }, ctx) {
      count(ctx.nodeId);
      return { outputs: [((a as number) + (b as number) + ((c as number | undefined) ?? 0)) * scale!] };
    },
  });
  const Show = defineNode({
    type: 'Show',
    displayName: 'Show',
    category: 'test',
    description: 'output node showing a number',
    inputs: { n: { type: 'NUM' }, label: { type: 'STRING', default: 'n', optional: true } },
    outputs: [],
    outputNode: true,
    async run({ n, label }, ctx) {
      count(ctx.nodeId);
      return { outputs: [], ui: { text: [`${label}=${n as number}`] } };
    },
  });
  const Pick = defineNode({
    type: 'Pick',
    displayName: 'Pick',
    category: 'test',
    description: 'a COMBO with options from the environment, a BOOLEAN and a STRING',
    inputs: {
      mode: { type: 'COMBO', options: (e: OptionsEnv) => ['fast', 'slow', e.storage.dataDir] },
      flag: { type: 'BOOLEAN', default: false },
      text: { type: 'STRING', default: '' },
    },
    outputs: [{ name: 'mode', type: 'STRING' }],
    async run({ mode }, ctx) {
      count(ctx.nodeId);
      return { outputs: [mode] };
    },
  });
  const Text = defineNode({
    type: 'Text',
    displayName: 'Text',
    category: 'test',
    description: 'outputs a string',
    inputs: { text: { type: 'STRING', default: '' } },
    outputs: [{ name: 'text', type: 'STRING' }],
    async run({ text }, ctx) {
      count(ctx.nodeId);
      return { outputs: [text] };
    },
  });
  const Slow = defineNode({
    type: 'Slow',
    displayName: 'Slow',
    category: 'test',
    description: 'loops for `steps` × 10 ms, reporting progress and checking ctx.signal',
    inputs: { n: { type: 'NUM' }, steps: { type: 'INT', default: 10, min: 1, max: 100000 } },
    outputs: [{ name: 'n', type: 'NUM' }],
    async run({ n, steps }, ctx) {
      count(ctx.nodeId);
      for (let i = 0; i < steps; i++) {
        if (ctx.signal.aborted) throw new Error('interrupted');
        await new Promise((r) => setTimeout(r, 10));
        ctx.progress(i + 1, steps, { loss: 1 / (i + 1) });
      }
      return { outputs: [n] };
    },
  });
  const Boom = defineNode({
    type: 'Boom',
    displayName: 'Boom',
    category: 'test',
    description: 'throws',
    inputs: { n: { type: 'NUM' }, image: { type: 'IMAGE', optional: true }, note: { type: 'STRING', default: 'x' } },
    outputs: [{ name: 'n', type: 'NUM' }],
    async run(_inputs, ctx) {
      count(ctx.nodeId);
      throw new RangeError('boom went the node');
    },
  });
  const MakeImage = defineNode({
    type: 'MakeImage',
    displayName: 'Make Image',
    category: 'test',
    description: 'an ImageBatch of size × size × 3 filled with value',
    inputs: { size: { type: 'INT', default: 8, min: 1, max: 4096 }, value: { type: 'FLOAT', default: 0.5 } },
    outputs: [{ name: 'image', type: 'IMAGE' }],
    async run({ size, value }, ctx) {
      count(ctx.nodeId);
      const data = new Float32Array(size * size * 3).fill(value);
      return { outputs: [{ data, shape: [1, size, size, 3] as const }] };
    },
  });
  const ImageSink = defineNode({
    type: 'ImageSink',
    displayName: 'Image Sink',
    category: 'test',
    description: 'output node taking an image',
    inputs: { image: { type: 'IMAGE' } },
    outputs: [],
    outputNode: true,
    async run({ image }, ctx) {
      count(ctx.nodeId);
      return { outputs: [], ui: { shape: [...image.shape] } };
    },
  });
  const defs: Record<string, NodeDefinition> = { Const, Add, Show, Pick, Text, Slow, Boom, MakeImage, ImageSink } as unknown as Record<string, NodeDefinition>;
  const registry = new NodeRegistry([...Object.values(defs), ...extra]);
  return { registry, runs, defs };
}

/** Collects emitted events; `types()` gives their sequence. */
export function recorder(): { events: EngineEvent[]; emit(e: EngineEvent): void; types(): string[] } {
  const events: EngineEvent[] = [];
  return { events, emit: (e) => events.push(e), types: () => events.map((e) => e.type) };
}
