import { describe, expect, it } from 'vitest';
import { defineNode } from '../../nodes/define.ts';
import { NodeRegistry } from './registry.ts';

const add = defineNode({
  type: 'AddInts',
  displayName: 'Add',
  category: 'math',
  description: 'a + b',
  inputs: {
    a: { type: 'INT', default: 1, min: 0, max: 10, step: 1 },
    seed: { type: 'INT', default: 0, controlAfterGenerate: true },
    mode: { type: 'COMBO', options: (env) => [env.storage.dataDir], optional: true },
    image: { type: 'IMAGE', optional: true },
  },
  outputs: [{ name: 'sum', type: 'INT' }],
  async run({ a, seed }) {
    return { outputs: [a + seed] };
  },
});

describe('NodeRegistry', () => {
  it('describes nodes in ComfyUI object_info shape, resolving dynamic options', async () => {
    const reg = new NodeRegistry([add]);
    const info = await reg.objectInfo({ storage: { dataDir: '/d' } as never });
    const d = info.AddInts;
    expect(d.input.required.a).toEqual(['INT', { default: 1, min: 0, max: 10, step: 1 }]);
    expect(d.input.required.seed).toEqual(['INT', { default: 0, control_after_generate: true }]);
    expect(d.input.optional.mode?.[0]).toEqual(['/d']);
    expect(d.input.optional.image).toEqual(['IMAGE', {}]);
    expect(d.input_order).toEqual({ required: ['a', 'seed'], optional: ['mode', 'image'] });
    expect(d.output).toEqual(['INT']);
    expect(d.output_name).toEqual(['sum']);
    expect(d.output_node).toBe(false);
  });

  it('refuses two definitions of one type', () => {
    expect(() => new NodeRegistry([add, add])).toThrow(/AddInts is defined twice/);
  });
});
