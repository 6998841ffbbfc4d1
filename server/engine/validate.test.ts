import { describe, expect, it } from 'vitest';
import { defineNode, type NodeDefinition } from '../../nodes/define.ts';
import { validatePrompt } from './validate.ts';
import { env, makeTestRegistry } from './nodes.testing.ts';

const Checked = defineNode({
  type: 'Checked',
  displayName: 'Checked',
  category: 'test',
  description: 'a validate() hook that rejects names starting with "bad"',
  inputs: { name: { type: 'STRING', default: 'ok' }, n: { type: 'NUM' } },
  outputs: [{ name: 'n', type: 'NUM' }],
  validate: ({ name }): Record<string, string> => (typeof name === 'string' && name.startsWith('bad') ? { name: `file "${name}" does not exist` } : {}),
  async run({ n }) {
    return { outputs: [n] };
  },
});
const Throwing = defineNode({
  type: 'ThrowingCheck',
  displayName: 'Throwing check',
  category: 'test',
  description: 'validate() throws',
  inputs: { n: { type: 'NUM' } },
  outputs: [{ name: 'n', type: 'NUM' }],
  validate: () => {
    throw new Error('cannot check');
  },
  async run({ n }) {
    return { outputs: [n] };
  },
});
const { registry } = makeTestRegistry([Checked, Throwing] as unknown as NodeDefinition[]);
const validate = (p: unknown) => validatePrompt(p, registry, env);

type P = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** A valid base: 1 → 3(Add) ← 2, shown by 4. */
function base(): P {
  return {
    '1': { class_type: 'Const', inputs: { value: 1 } },
    '2': { class_type: 'Const', inputs: { value: 2 } },
    '3': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0] } },
    '4': { class_type: 'Show', inputs: { n: ['3', 0] } },
  };
}

/** The single error of node `id`, checking it names the node, its type and (if given) the input. */
async function onlyError(prompt: unknown, id: string, input?: string) {
  const r = await validate(prompt);
  expect(r.ok).toBe(false);
  expect(r.error?.type).toBe('prompt_outputs_failed_validation');
  expect(Object.keys(r.node_errors)).toEqual([id]);
  const ne = r.node_errors[id];
  expect(ne.errors).toHaveLength(1);
  const e = ne.errors[0];
  expect(e.message).toContain(`#${id}`);
  expect(e.message).toContain(ne.class_type);
  if (input) {
    expect(e.message).toContain(`"${input}"`);
    expect(e.extra_info.input_name).toBe(input);
  }
  return { result: r, error: e, nodeErrors: ne };
}

describe('validatePrompt', () => {
  it('accepts a valid prompt and lists its output nodes', async () => {
    const r = await validate(base());
    expect(r).toEqual({ ok: true, node_errors: {}, outputs: ['4'] });
  });

  it('rejects a prompt that is not an object', async () => {
    for (const p of [null, [], 'x', 3]) {
      const r = await validate(p);
      expect(r.ok).toBe(false);
      expect(r.error?.type).toBe('invalid_prompt');
    }
  });

  it('rejects a node that is not an object, naming it', async () => {
    const p: Record<string, unknown> = { ...base(), '7': 'nope' };
    const r = await validate(p);
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('invalid_prompt');
    expect(r.error?.message).toContain('#7');
    expect(r.node_errors['7'].errors[0].type).toBe('invalid_prompt');
  });

  it('rejects a node without class_type', async () => {
    const r = await validate({ ...base(), '7': { inputs: {} } });
    expect(r.error?.type).toBe('invalid_prompt');
    expect(r.error?.message).toContain('#7');
    expect(r.error?.message).toContain('class_type');
  });

  it('rejects an unknown class_type, naming node and type', async () => {
    const r = await validate({ ...base(), '7': { class_type: 'Nope', inputs: {} } });
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('invalid_prompt');
    expect(r.error?.message).toContain('#7');
    expect(r.error?.message).toContain('Nope');
    expect(r.node_errors['7']).toMatchObject({ class_type: 'Nope', errors: [{ type: 'missing_node_type' }] });
  });

  it('rejects a prompt without output nodes', async () => {
    const p = base();
    delete (p as Record<string, unknown>)['4'];
    const r = await validate(p);
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('prompt_no_outputs');
  });

  it('reports a missing required input', async () => {
    const p = base();
    delete p['3'].inputs.b;
    const { error, nodeErrors } = await onlyError(p, '3', 'b');
    expect(error.type).toBe('required_input_missing');
    expect(nodeErrors.dependent_outputs).toEqual(['4']);
  });

  it('reports a missing required widget (no default filling for required widgets)', async () => {
    const p = base();
    p['1'].inputs = {};
    const { error } = await onlyError(p, '1', 'value');
    expect(error.type).toBe('required_input_missing');
  });

  it('accepts absent optional inputs and ignores unknown extra inputs', async () => {
    const p = base();
    p['3'].inputs.whatever = 'x';
    p['4'].inputs.label = 'sum';
    expect((await validate(p)).ok).toBe(true);
  });

  it('reports a malformed link', async () => {
    for (const bad of [[1, 0], ['1'], ['1', 0.5], ['1', -1], ['1', 0, 0]]) {
      const p = base();
      p['3'].inputs.a = bad;
      const { error } = await onlyError(p, '3', 'a');
      expect(error.type).toBe('bad_linked_input');
    }
  });

  it('reports a link to a node that does not exist', async () => {
    const p = base();
    p['3'].inputs.a = ['99', 0];
    const { error } = await onlyError(p, '3', 'a');
    expect(error.type).toBe('bad_linked_input');
    expect(error.message).toContain('#99');
  });

  it('reports an output index out of range', async () => {
    const p = base();
    p['3'].inputs.a = ['1', 1];
    const { error } = await onlyError(p, '3', 'a');
    expect(error.type).toBe('bad_linked_input');
    expect(error.details).toContain('out of range');
  });

  it('reports a socket type mismatch', async () => {
    const p: P = { ...base(), '5': { class_type: 'Text', inputs: { text: 'hi' } } };
    p['3'].inputs.b = ['5', 0];
    const { error } = await onlyError(p, '3', 'b');
    expect(error.type).toBe('return_type_mismatch');
    expect(error.extra_info).toMatchObject({ received_type: 'STRING', input_type: 'NUM' });
  });

  it('lets a widget be fed by a link of its own type, and a COMBO by a STRING output', async () => {
    const p = {
      ...base(),
      '5': { class_type: 'Text', inputs: { text: 'fast' } },
      '6': { class_type: 'Pick', inputs: { mode: ['5', 0], flag: true, text: ['5', 0] } },
      '7': { class_type: 'Show', inputs: { n: ['3', 0], label: ['6', 0] } },
    };
    const r = await validate(p);
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual(['4', '7']);
  });

  it('rejects a widget fed by a link of another type', async () => {
    const p = base();
    p['4'].inputs.label = ['1', 0];
    const { error } = await onlyError(p, '4', 'label');
    expect(error.type).toBe('return_type_mismatch');
  });

  it('rejects widget values of the wrong type', async () => {
    const cases: [string, string, unknown][] = [
      ['1', 'value', 1.5],
      ['1', 'value', '3'],
      ['3', 'scale', Number.NaN],
      ['3', 'scale', Infinity],
      ['3', 'scale', '1'],
      ['6', 'flag', 'true'],
      ['6', 'text', 5],
    ];
    for (const [id, input, value] of cases) {
      const p: P = { ...base(), '6': { class_type: 'Pick', inputs: { mode: 'fast', flag: false, text: '' } } };
      p['4'].inputs.label = ['6', 0];
      p[id].inputs[input] = value;
      const { error } = await onlyError(p, id, input);
      expect(error.type).toBe('invalid_input_type');
      expect(error.extra_info.received_value).toEqual(value);
    }
  });

  it('rejects a literal value on a socket input', async () => {
    const p = base();
    p['3'].inputs.a = 5;
    const { error } = await onlyError(p, '3', 'a');
    expect(error.type).toBe('invalid_input_type');
    expect(error.message).toContain('NUM');
  });

  it('rejects a value below the minimum', async () => {
    const p = base();
    p['1'].inputs.value = -1001;
    const { error } = await onlyError(p, '1', 'value');
    expect(error.type).toBe('value_smaller_than_min');
  });

  it('rejects a value above the maximum', async () => {
    const p = base();
    p['3'].inputs.scale = 10.5;
    const { error } = await onlyError(p, '3', 'scale');
    expect(error.type).toBe('value_bigger_than_max');
  });

  it('rejects a COMBO value not in its options, resolving function options with env', async () => {
    const mk = (mode: unknown) => {
      const p: P = { ...base(), '6': { class_type: 'Pick', inputs: { mode, flag: false, text: '' } } };
      p['4'].inputs.label = ['6', 0];
      return p;
    };
    expect((await validate(mk(env.storage.dataDir))).ok).toBe(true);
    const { error } = await onlyError(mk('medium'), '6', 'mode');
    expect(error.type).toBe('value_not_in_list');
    expect(error.details).toContain('medium');
  });

  it('reports a cycle, naming the nodes in it', async () => {
    const p = base();
    p['1'] = { class_type: 'Add', inputs: { a: ['3', 0], b: ['2', 0] } };
    const r = await validate(p);
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('prompt_outputs_failed_validation');
    expect(Object.keys(r.node_errors)).toEqual(['1', '3']);
    for (const id of ['1', '3']) {
      const e = r.node_errors[id].errors[0];
      expect(e.type).toBe('dependency_cycle');
      expect(e.message).toContain(`#${id}`);
      expect(e.message).toContain('#1, #3');
      expect(r.node_errors[id].dependent_outputs).toEqual(['4']);
    }
  });

  it('answers a long cycle in linear size, naming its length and what depends on it', async () => {
    // Regression: each of the n members used to name all n members (a 5,000-node cycle: an
    // answer of over 500 MB, seconds of blocked server).
    const n = 20_000;
    const p: P = {};
    for (let i = 1; i <= n; i++) p[i] = { class_type: 'Add', inputs: { a: [String((i % n) + 1), 0], b: ['0', 0] } };
    p['0'] = { class_type: 'Const', inputs: { value: 1 } };
    p[n + 1] = { class_type: 'Show', inputs: { n: ['1', 0] } };
    p[n + 2] = { class_type: 'Show', inputs: { n: ['0', 0] } };
    const r = await validate(p);
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual([String(n + 2)]);
    expect(Object.keys(r.node_errors)).toHaveLength(n);
    expect(JSON.stringify(r).length).toBeLessThan(400 * n);
    const e = r.node_errors['5'].errors[0];
    expect(e.type).toBe('dependency_cycle');
    expect(e.message).toContain('#1, #2, #3');
    expect(e.message).toContain(`(${n} nodes)`);
    expect(e.extra_info.cycle_length).toBe(n);
    expect((e.extra_info.cycle as string[]).length).toBeLessThan(10);
    expect(r.node_errors['5'].dependent_outputs).toEqual([String(n + 1)]);
  });

  it('lists the outputs behind a failing node through a cycle and a chain', async () => {
    const p: P = {
      ...base(),
      '5': { class_type: 'Add', inputs: { a: ['1', 0] } }, // missing b
      '6': { class_type: 'Add', inputs: { a: ['5', 0], b: ['7', 0] } },
      '7': { class_type: 'Add', inputs: { a: ['6', 0], b: ['1', 0] } },
      '8': { class_type: 'Show', inputs: { n: ['7', 0] } },
      '9': { class_type: 'Show', inputs: { n: ['5', 0] } },
    };
    const r = await validate(p);
    expect(r.node_errors['5'].dependent_outputs).toEqual(['8', '9']);
    expect(r.node_errors['6'].dependent_outputs).toEqual(['8']);
    expect(r.node_errors['7'].dependent_outputs).toEqual(['8']);
  });

  it("reports a definition's validate() messages", async () => {
    const p: P = { ...base(), '5': { class_type: 'Checked', inputs: { name: 'bad.png', n: ['3', 0] } }, '6': { class_type: 'Show', inputs: { n: ['5', 0] } } };
    const r = await validate(p);
    // Output 4 does not depend on node 5, so the prompt still runs it.
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual(['4']);
    const e = r.node_errors['5'].errors[0];
    expect(e.type).toBe('custom_validation_failed');
    expect(e.extra_info.input_name).toBe('name');
    expect(e.message).toContain('#5');
    expect(e.message).toContain('"name"');
    expect(e.message).toContain('bad.png');
    expect(r.node_errors['5'].dependent_outputs).toEqual(['6']);
  });

  it('reports a validate() hook that throws', async () => {
    const p: P = { ...base(), '5': { class_type: 'ThrowingCheck', inputs: { n: ['3', 0] } }, '6': { class_type: 'Show', inputs: { n: ['5', 0] } } };
    const r = await validate(p);
    expect(r.node_errors['5'].errors[0].type).toBe('exception_during_inner_validation');
    expect(r.node_errors['5'].errors[0].message).toContain('cannot check');
  });

  it('runs only outputs whose ancestry is valid and lists dependent outputs', async () => {
    const p = {
      ...base(),
      '5': { class_type: 'Add', inputs: { a: ['1', 0] } },
      '6': { class_type: 'Show', inputs: { n: ['5', 0] } },
      '7': { class_type: 'Show', inputs: { n: ['5', 0] } },
    };
    const r = await validate(p);
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual(['4']);
    expect(r.node_errors['5'].dependent_outputs).toEqual(['6', '7']);
    expect(r.node_errors['6']).toBeUndefined();
  });

  it('does not validate nodes that no output depends on', async () => {
    const p: P = { ...base(), '8': { class_type: 'Add', inputs: {} } };
    expect(await validate(p)).toEqual({ ok: true, node_errors: {}, outputs: ['4'] });
  });
});
