import { describe, expect, it } from 'vitest';
import { defineNode, type ApiPrompt, type NodeContext, type NodeDefinition } from '../../nodes/define.ts';
import { executePrompt, type ExecuteDeps } from './execute.ts';
import { OutputCache } from './cache.ts';
import type { EngineEvent } from './events.ts';
import { makeTestRegistry, recorder, runtime, storage } from './nodes.testing.ts';

type Events<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>['data'][];
function ofType<T extends EngineEvent['type']>(events: EngineEvent[], type: T): Events<T> {
  return events.filter((e) => e.type === type).map((e) => e.data) as Events<T>;
}

let seenCtx: NodeContext | undefined;
const Spin = defineNode({
  type: 'Spin',
  displayName: 'Spin',
  category: 'test',
  description: 'reports progress 1000 times in a tight loop, with a preview',
  inputs: {},
  outputs: [{ name: 'n', type: 'NUM' }],
  async run(_i, ctx) {
    seenCtx = ctx;
    for (let i = 1; i <= 1000; i++) ctx.progress(i, 1000, i % 100 === 0 ? { preview: new Uint8Array([i % 256]) } : undefined);
    return { outputs: [0] };
  },
});
const Wrong = defineNode({
  type: 'Wrong',
  displayName: 'Wrong',
  category: 'test',
  description: 'returns one output too few',
  inputs: {},
  outputs: [
    { name: 'a', type: 'NUM' },
    { name: 'b', type: 'NUM' },
  ],
  async run() {
    return { outputs: [1] as unknown as [number, number] };
  },
});
const BadFingerprint = defineNode({
  type: 'BadFingerprint',
  displayName: 'Bad fingerprint',
  category: 'test',
  description: 'fingerprint() throws',
  inputs: {},
  outputs: [{ name: 'n', type: 'NUM' }],
  fingerprint: () => {
    throw new Error('file vanished');
  },
  async run() {
    return { outputs: [1] };
  },
});
/** Aborts the prompt's controller itself, then returns normally. */
let abortFromNode: AbortController | undefined;
const SelfAbort = defineNode({
  type: 'SelfAbort',
  displayName: 'Self abort',
  category: 'test',
  description: 'interrupts, then returns a value anyway',
  inputs: { n: { type: 'NUM' } },
  outputs: [{ name: 'n', type: 'NUM' }],
  async run({ n }) {
    abortFromNode?.abort();
    return { outputs: [n] };
  },
});

function setup(cacheBytes = 1 << 24) {
  const t = makeTestRegistry([Spin, Wrong, SelfAbort, BadFingerprint] as unknown as NodeDefinition[]);
  const cache = new OutputCache(cacheBytes);
  let n = 0;
  const run = async (prompt: ApiPrompt, outputs: string[], controller = new AbortController(), extraData: Record<string, unknown> = { client: 'test', preview_method: 'auto' }) => {
    const rec = recorder();
    const deps: ExecuteDeps = { registry: t.registry, cache, storage, runtime, emit: rec.emit, signal: controller.signal };
    const result = await executePrompt({ promptId: `p${++n}`, prompt, extraData, outputs }, deps);
    return { result, events: rec.events, types: rec.types() };
  };
  return { ...t, cache, run };
}

/** 1(seed) → 3 ← 2;  3 → 5(Show); 2 → 4 → 6(Show); 7 is not connected to any output. */
function graph(seed = 1): ApiPrompt {
  return {
    '1': { class_type: 'Const', inputs: { value: seed } },
    '2': { class_type: 'Const', inputs: { value: 10 } },
    '3': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0] } },
    '4': { class_type: 'Add', inputs: { a: ['2', 0], b: ['2', 0], scale: 0.5 } },
    '5': { class_type: 'Show', inputs: { n: ['3', 0], label: 'x' } },
    '6': { class_type: 'Show', inputs: { n: ['4', 0] } },
    '7': { class_type: 'Const', inputs: { value: 3 } },
  };
}
const executingNodes = (events: EngineEvent[]) => ofType(events, 'executing').map((d) => d.node);

describe('executePrompt: order and events', () => {
  it("emits ComfyUI's sequence and runs only the outputs' ancestors, in dependency order", async () => {
    const { run, runs } = setup();
    const { result, events, types } = await run(graph(), ['5', '6']);
    expect(result.status).toBe('success');
    expect(types[0]).toBe('execution_start');
    expect(types[1]).toBe('execution_cached');
    expect(types.slice(-2)).toEqual(['executing', 'execution_success']);
    expect(executingNodes(events)).toEqual(['1', '2', '3', '4', '5', '6', null]);
    expect(runs.has('7')).toBe(false);
    expect(result.executed).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(result.cached).toEqual([]);
    // executed events carry the ui of output nodes, right after their executing event.
    expect(ofType(events, 'executed')).toMatchObject([
      { node: '5', output: { text: ['x=11'] } },
      { node: '6', output: { text: ['n=10'] } },
    ]);
    const i5 = events.findIndex((e) => e.type === 'executing' && e.data.node === '5');
    expect(events[i5 + 1]).toMatchObject({ type: 'executed', data: { node: '5' } });
    expect(result.outputs).toEqual({ '5': { text: ['x=11'] }, '6': { text: ['n=10'] } });
    for (const e of events) expect((e.data as { prompt_id: string }).prompt_id).toBe('p1');
  });

  it('runs only the requested outputs', async () => {
    const { run, runs } = setup();
    const { events } = await run(graph(), ['6']);
    expect(executingNodes(events)).toEqual(['2', '4', '6', null]);
    expect([...runs.keys()].sort()).toEqual(['2', '4', '6']);
  });

  it('gives nodes the spec default for absent optional widgets and undefined for absent optional sockets', async () => {
    const { run } = setup();
    // Add 3 has no `c` and no `scale`: (1 + 10 + 0) * 1.
    const { result } = await run(graph(), ['5']);
    expect(result.outputs['5']).toEqual({ text: ['x=11'] });
  });

  it('gives the node a context with the prompt, ids, extra data and signal; throttles progress; forwards previews', async () => {
    const { run } = setup();
    const prompt: ApiPrompt = { '1': { class_type: 'Spin', inputs: {} }, '2': { class_type: 'Show', inputs: { n: ['1', 0] } } };
    const controller = new AbortController();
    const { events } = await run(prompt, ['2'], controller);
    expect(seenCtx).toMatchObject({ promptId: 'p1', nodeId: '1', prompt, extraData: { client: 'test' }, signal: controller.signal, storage, runtime, previews: true });
    const progress = ofType(events, 'progress');
    // 1000 calls within far less than the throttle interval: the first and the final one.
    expect(progress.length).toBeLessThanOrEqual(3);
    expect(progress[0]).toMatchObject({ node: '1', value: 1, max: 1000 });
    expect(progress[progress.length - 1]).toMatchObject({ node: '1', value: 1000, max: 1000 });
    const previews = ofType(events, 'preview');
    expect(previews.length).toBeGreaterThanOrEqual(1);
    expect(previews.length).toBeLessThanOrEqual(3);
    expect(previews[previews.length - 1].png).toEqual(new Uint8Array([1000 % 256]));
  });

  it('tells nodes previews are off and drops them unless extra_data.preview_method asks (ComfyUI)', async () => {
    const prompt: ApiPrompt = { '1': { class_type: 'Spin', inputs: {} }, '2': { class_type: 'Show', inputs: { n: ['1', 0] } } };
    for (const extraData of [{}, { preview_method: 'none' }, { preview_method: 'default' }]) {
      const { run } = setup();
      const { events } = await run(prompt, ['2'], new AbortController(), extraData);
      expect(seenCtx?.previews).toBe(false);
      expect(ofType(events, 'preview')).toEqual([]);
      expect(ofType(events, 'progress').length).toBeGreaterThan(0);
    }
  });

  it('reports the loss with progress', async () => {
    const { run } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Const', inputs: { value: 1 } },
      '2': { class_type: 'Slow', inputs: { n: ['1', 0], steps: 3 } },
      '3': { class_type: 'Show', inputs: { n: ['2', 0] } },
    };
    const { events } = await run(prompt, ['3']);
    const last = ofType(events, 'progress').at(-1)!;
    expect(last).toMatchObject({ node: '2', value: 3, max: 3 });
    expect(last.loss).toBeCloseTo(1 / 3);
  });
});

describe('executePrompt: caching', () => {
  it('re-runs nothing when the same prompt is queued again, re-emitting the outputs ui', async () => {
    const { run, runs } = setup();
    await run(graph(), ['5', '6']);
    runs.clear();
    const { result, events, types } = await run(graph(), ['5', '6']);
    expect(result.status).toBe('success');
    expect(runs.size).toBe(0);
    expect(result.executed).toEqual([]);
    expect(result.cached).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(ofType(events, 'execution_cached')[0].nodes).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(executingNodes(events)).toEqual([null]);
    expect(ofType(events, 'executed').map((d) => d.node)).toEqual(['5', '6']);
    expect(result.outputs['5']).toEqual({ text: ['x=11'] });
    expect(types.at(-1)).toBe('execution_success');
  });

  it('re-runs only the nodes that depend on a changed seed', async () => {
    const { run, runs } = setup();
    await run(graph(1), ['5', '6']);
    runs.clear();
    const { result, events } = await run(graph(2), ['5', '6']);
    expect([...runs.keys()].sort()).toEqual(['1', '3', '5']);
    expect(result.executed).toEqual(['1', '3', '5']);
    expect(ofType(events, 'execution_cached')[0].nodes).toEqual(['2', '4', '6']);
    expect(result.outputs['5']).toEqual({ text: ['x=12'] });
  });

  it('evicts images by memory budget (least recently used first) and never caches one bigger than the budget', async () => {
    const { run, runs } = setup(64 * 1024);
    const prompt = (size: number, value: number): ApiPrompt => ({
      '1': { class_type: 'MakeImage', inputs: { size, value } },
      '2': { class_type: 'ImageSink', inputs: { image: ['1', 0] } },
    });
    // 64·64·3·4 = 48 KiB each: the second evicts the first.
    await run(prompt(64, 0.25), ['2']);
    expect((await run(prompt(64, 0.25), ['2'])).result.cached).toEqual(['1', '2']);
    await run(prompt(64, 0.75), ['2']);
    const again = await run(prompt(64, 0.25), ['2']);
    expect(again.result.cached).toEqual(['2']); // the small ui entry survived, the image did not
    expect(again.result.executed).toEqual([]); // behind a cached node nothing needs to run
    // 192 KiB: never cached, though its sink is.
    runs.clear();
    await run(prompt(128, 0.5), ['2']);
    const big = await run(prompt(128, 0.5), ['2']);
    expect(big.result.cached).toEqual(['2']);
    expect(runs.get('1')).toBe(1);
    expect(big.result.outputs['2']).toEqual({ shape: [1, 128, 128, 3] });
  });
});

describe('executePrompt: failures', () => {
  it('turns a throwing node into execution_error with node, type, message, traceback and input summary', async () => {
    const { run } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Const', inputs: { value: 4 } },
      '2': { class_type: 'MakeImage', inputs: { size: 8, value: 0.5 } },
      '3': { class_type: 'Boom', inputs: { n: ['1', 0], image: ['2', 0], note: 'y'.repeat(500) } },
      '4': { class_type: 'Show', inputs: { n: ['3', 0] } },
    };
    const { result, events, types } = await run(prompt, ['4']);
    expect(result.status).toBe('error');
    expect(types.slice(-2)).toEqual(['executing', 'execution_error']);
    const err = ofType(events, 'execution_error')[0];
    expect(result.error).toEqual(err);
    expect(err).toMatchObject({ prompt_id: 'p1', node_id: '3', node_type: 'Boom', exception_type: 'RangeError', exception_message: 'boom went the node' });
    expect(err.traceback.length).toBeGreaterThan(1);
    expect(err.traceback.join('\n')).toContain('boom went the node');
    expect(err.current_inputs.n).toEqual(['4']);
    expect(err.current_inputs.image).toEqual(['Float32Array[1,8,8,3]']);
    expect(err.current_inputs.note[0].length).toBeLessThan(200);
    expect(err.current_outputs).toEqual(['1', '2']);
    expect(err.executed).toEqual(['1', '2']);
    expect(executingNodes(events)).toEqual(['1', '2', '3', null]);
  });

  it('keeps the outputs of nodes that succeeded before a failure, and the cache keeps working', async () => {
    const { run, runs } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Const', inputs: { value: 4 } },
      '3': { class_type: 'Boom', inputs: { n: ['1', 0] } },
      '4': { class_type: 'Show', inputs: { n: ['3', 0] } },
    };
    expect((await run(prompt, ['4'])).result.status).toBe('error');
    runs.clear();
    // Fixed graph: the Const result is reused.
    prompt['3'] = { class_type: 'Add', inputs: { a: ['1', 0], b: ['1', 0] } };
    const { result } = await run(prompt, ['4']);
    expect(result.status).toBe('success');
    expect(result.cached).toEqual(['1']);
    expect(result.outputs['4']).toEqual({ text: ['n=8'] });
    // The failed node was not cached: running the broken graph again fails again.
    prompt['3'] = { class_type: 'Boom', inputs: { n: ['1', 0] } };
    expect((await run(prompt, ['4'])).result.status).toBe('error');
    expect(runs.get('3')).toBe(2);
  });

  it('reports a node returning the wrong number of outputs, naming it', async () => {
    const { run } = setup();
    const prompt: ApiPrompt = { '1': { class_type: 'Wrong', inputs: {} }, '2': { class_type: 'Show', inputs: { n: ['1', 1] } } };
    const { result } = await run(prompt, ['2']);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ node_id: '1', node_type: 'Wrong', exception_type: 'InvalidNodeOutput' });
    expect(result.error!.exception_message).toContain('#1');
  });

  it("reports a node whose fingerprint() throws as that node's error, before anything runs", async () => {
    const { run, runs } = setup();
    const prompt: ApiPrompt = { ...graph(), '8': { class_type: 'BadFingerprint', inputs: {} }, '9': { class_type: 'Show', inputs: { n: ['8', 0] } } };
    const { result, types } = await run(prompt, ['5', '9']);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ node_id: '8', node_type: 'BadFingerprint' });
    expect(result.error!.exception_message).toContain('file vanished');
    expect(runs.size).toBe(0);
    expect(types).toEqual(['execution_start', 'executing', 'execution_error']);
  });

  it('checks a linked COMBO value at run time, naming node and input', async () => {
    const { run } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Text', inputs: { text: 'medium' } },
      '2': { class_type: 'Pick', inputs: { mode: ['1', 0], flag: true, text: '' } },
      '3': { class_type: 'Const', inputs: { value: 1 } },
      '4': { class_type: 'Show', inputs: { n: ['3', 0], label: ['2', 0] } },
    };
    const bad = await run(prompt, ['4']);
    expect(bad.result.error).toMatchObject({ node_id: '2', node_type: 'Pick' });
    expect(bad.result.error!.exception_message).toContain('"mode"');
    expect(bad.result.error!.exception_message).toContain('medium');
    prompt['1'].inputs.text = 'slow';
    const good = await run(prompt, ['4']);
    expect(good.result.outputs['4']).toEqual({ text: ['slow=1'] });
  });
});

describe('executePrompt: interrupt', () => {
  it('stops a slow node that checks ctx.signal, ending the prompt as interrupted', async () => {
    const { run, runs } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Const', inputs: { value: 1 } },
      '2': { class_type: 'Slow', inputs: { n: ['1', 0], steps: 100000 } }, // ~17 minutes if not stopped
      '3': { class_type: 'Show', inputs: { n: ['2', 0] } },
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const { result, events, types } = await run(prompt, ['3'], controller);
    expect(result.status).toBe('interrupted');
    expect(types.slice(-2)).toEqual(['executing', 'execution_interrupted']);
    expect(ofType(events, 'execution_interrupted')[0]).toMatchObject({ node_id: '2', node_type: 'Slow', executed: ['1'] });
    expect(ofType(events, 'progress').at(-1)!.value).toBeLessThan(100000);
    expect(runs.has('3')).toBe(false);
    expect(types).not.toContain('execution_error');
    // The interrupted node was not cached; the one before it was.
    prompt['2'].inputs.steps = 1;
    const again = await run(prompt, ['3']);
    expect(again.result.cached).toEqual(['1']);
    expect(again.result.executed).toEqual(['2', '3']);
  });

  it('ends as interrupted when a node returns after the abort, without caching it or running more', async () => {
    const { run, runs, cache } = setup();
    const prompt: ApiPrompt = {
      '1': { class_type: 'Const', inputs: { value: 1 } },
      '2': { class_type: 'SelfAbort', inputs: { n: ['1', 0] } },
      '3': { class_type: 'Show', inputs: { n: ['2', 0] } },
    };
    abortFromNode = new AbortController();
    const { result, events } = await run(prompt, ['3'], abortFromNode);
    abortFromNode = undefined;
    expect(result.status).toBe('interrupted');
    expect(ofType(events, 'execution_interrupted')[0]).toMatchObject({ node_id: '2', node_type: 'SelfAbort' });
    expect(runs.has('3')).toBe(false);
    expect(cache.size).toBe(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const { run, runs } = setup();
    const controller = new AbortController();
    controller.abort();
    const { result, types } = await run(graph(), ['5'], controller);
    expect(result.status).toBe('interrupted');
    expect(runs.size).toBe(0);
    expect(types).toEqual(['execution_start', 'execution_cached', 'executing', 'execution_interrupted']);
  });
});

