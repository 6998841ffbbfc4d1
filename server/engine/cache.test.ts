import { describe, expect, it } from 'vitest';
import { defineNode, type ApiPrompt, type NodeDefinition } from '../../nodes/define.ts';
import { NodeKeyError, OutputCache, estimateBytes, stableStringify } from './cache.ts';
import { planExecution } from './plan.ts';
import { env, makeTestRegistry } from './nodes.testing.ts';

let fingerprintValue = 'v1';
const Fingerprinted = defineNode({
  type: 'Fingerprinted',
  displayName: 'Fingerprinted',
  category: 'test',
  description: 'depends on something outside its inputs',
  inputs: { name: { type: 'STRING', default: 'a' } },
  outputs: [{ name: 'n', type: 'NUM' }],
  fingerprint: ({ name }) => {
    if (name === 'throw') throw new Error('no such file');
    return `${name}:${fingerprintValue}`;
  },
  async run() {
    return { outputs: [1] };
  },
});
const { registry } = makeTestRegistry([Fingerprinted] as unknown as NodeDefinition[]);

function graph(seed: number): ApiPrompt {
  return {
    '1': { class_type: 'Const', inputs: { value: seed } },
    '2': { class_type: 'Const', inputs: { value: 7 } },
    '3': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0] } },
    '4': { class_type: 'Add', inputs: { a: ['2', 0], b: ['2', 0] } },
    '5': { class_type: 'Show', inputs: { n: ['3', 0] } },
    '6': { class_type: 'Show', inputs: { n: ['4', 0] } },
  };
}
async function keys(prompt: ApiPrompt): Promise<Map<string, string>> {
  const cache = new OutputCache(1 << 20);
  return cache.keysFor(prompt, planExecution(prompt, ['5', '6']).order, registry, env);
}

describe('OutputCache.keysFor', () => {
  it('gives equal keys for equal prompts and changes only the dependents of a changed literal', async () => {
    const a = await keys(graph(1));
    const b = await keys(graph(1));
    const c = await keys(graph(2));
    expect(a).toEqual(b);
    const changed = [...a.keys()].filter((id) => a.get(id) !== c.get(id)).sort();
    expect(changed).toEqual(['1', '3', '5']);
  });

  it('distinguishes output indexes and node types, but not an absent optional widget from its default', async () => {
    const base = graph(1);
    const k0 = await keys(base);
    const explicitDefault = graph(1);
    explicitDefault['3'].inputs.scale = 1;
    expect((await keys(explicitDefault)).get('3')).toBe(k0.get('3'));
    const scaled = graph(1);
    scaled['3'].inputs.scale = 2;
    expect((await keys(scaled)).get('3')).not.toBe(k0.get('3'));
    // Two Const nodes with the same value share a key (same type, same inputs).
    const same = graph(7);
    const ks = await keys(same);
    expect(ks.get('1')).toBe(ks.get('2'));
  });

  it("includes the definition's fingerprint and reports one that throws, naming the node", async () => {
    const prompt: ApiPrompt = { '1': { class_type: 'Fingerprinted', inputs: {} }, '2': { class_type: 'Show', inputs: { n: ['1', 0] } } };
    const cache = new OutputCache(1 << 20);
    const order = planExecution(prompt, ['2']).order;
    fingerprintValue = 'v1';
    const k1 = await cache.keysFor(prompt, order, registry, env);
    fingerprintValue = 'v2';
    const k2 = await cache.keysFor(prompt, order, registry, env);
    expect(k2.get('1')).not.toBe(k1.get('1'));
    expect(k2.get('2')).not.toBe(k1.get('2'));
    prompt['1'].inputs.name = 'throw';
    const err = await cache.keysFor(prompt, order, registry, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeKeyError);
    expect((err as NodeKeyError).nodeId).toBe('1');
    expect((err as Error).message).toContain('#1');
    expect((err as Error).message).toContain('no such file');
  });

  it('stableStringify ignores key order', () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: 'x' }] })).toBe(stableStringify({ a: [1, { c: 'x', d: 2 }], b: 1 }));
  });
});

describe('OutputCache LRU', () => {
  const entry = (bytes: number) => [new Uint8Array(bytes)];

  it('evicts the least recently used entries to stay within the memory budget', () => {
    const cache = new OutputCache(10_000);
    expect(cache.set('a', entry(3000))).toBe(true);
    expect(cache.set('b', entry(3000))).toBe(true);
    expect(cache.set('c', entry(3000))).toBe(true);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('d', entry(3000));
    expect(cache.has('b')).toBe(false);
    expect(['a', 'c', 'd'].every((k) => cache.has(k))).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    cache.set('e', entry(6000));
    expect(cache.has('c')).toBe(false);
    expect(cache.has('a')).toBe(false);
    expect(cache.has('d') && cache.has('e')).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
  });

  it('does not cache an entry bigger than the whole budget (and keeps the others)', () => {
    const cache = new OutputCache(10_000);
    cache.set('a', entry(100));
    expect(cache.set('big', entry(20_000))).toBe(false);
    expect(cache.has('big')).toBe(false);
    expect(cache.has('a')).toBe(true);
  });

  it('replacing a key frees the old entry', () => {
    const cache = new OutputCache(10_000);
    cache.set('a', entry(6000));
    cache.set('a', entry(7000));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBeGreaterThanOrEqual(7000);
    expect(cache.bytes).toBeLessThan(8000);
  });
});

describe('estimateBytes', () => {
  it('sizes typed arrays, byteSize objects, image batches, strings and nested plain values', () => {
    expect(estimateBytes(new Float32Array(1000))).toBe(4000);
    expect(estimateBytes({ byteSize: 12345, other: new Float32Array(10_000) })).toBe(12345);
    const img = { data: new Float32Array(2 * 8 * 8 * 3), shape: [2, 8, 8, 3] };
    expect(estimateBytes(img)).toBeGreaterThanOrEqual(img.data.byteLength);
    expect(estimateBytes(img)).toBeLessThan(img.data.byteLength + 200);
    expect(estimateBytes('x'.repeat(1000))).toBeGreaterThanOrEqual(2000);
    const nested = [{ a: new Float64Array(100), b: ['y'.repeat(50)] }, new Uint8Array(10)];
    expect(estimateBytes(nested)).toBeGreaterThanOrEqual(800 + 100 + 10);
    const shared = new Float32Array(1000);
    expect(estimateBytes([shared, shared])).toBeLessThan(5000); // counted once
  });

  it('stops at a depth limit on deep or cyclic values', () => {
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 1000; i++) cur = (cur.next = { big: new Float32Array(1000) }) as Record<string, unknown>;
    expect(estimateBytes(deep)).toBeLessThan(40_000);
    const cyclic: Record<string, unknown> = { x: 1 };
    cyclic.self = cyclic;
    expect(estimateBytes(cyclic)).toBeGreaterThan(0);
  });
});
