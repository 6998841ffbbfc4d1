import { describe, expect, it } from 'vitest';
import { isApiPrompt, workflowToPrompt, WorkflowError } from './workflow.ts';
import { validatePrompt } from './validate.ts';
import { env, makeTestRegistry } from './test-nodes.ts';

const { registry } = makeTestRegistry();

type Slot = { name: string; type: string; link: number | null; widget?: { name: string } };
function node(id: number, type: string, opts: { inputs?: Slot[]; outputs?: { name: string; type: string; links: number[] }[]; widgets_values?: unknown[]; mode?: number; title?: string } = {}) {
  return { id, type, pos: [0, 0], size: [100, 50], flags: {}, order: id, mode: opts.mode ?? 0, inputs: opts.inputs ?? [], outputs: opts.outputs ?? [], properties: {}, widgets_values: opts.widgets_values ?? [], ...(opts.title ? { title: opts.title } : {}) };
}
const out = (type: string, links: number[]) => [{ name: type.toLowerCase(), type, links }];

/**
 *  1 Const(5, randomize) ─L1→ 20 Reroute ─L2→ 3 Add.a
 *  2 Const(7, fixed) ─L3→ 3 Add.b (scale widget 0.5)        3 ─L4→ 5 Show.n
 *  6 Pick(slow, true, "hi") ─L5→ 5 Show.label (a converted widget; widgets_values still holds "ignored")
 *  7 Const muted ─L6→ 8 Add.a ; 2 ─L7→ 8 Add.b ; 8 ─L8→ 9 Show
 *  11 Add bypassed: 2 ─L9→ 11.a ; 11 ─L10→ 12 Show.n
 *  13 Text bypassed (no NUM input) ─L11→ 14 Show.label ; 2 ─L12→ 14 Show.n
 *  30 Note
 */
function workflow() {
  return {
    last_node_id: 30,
    last_link_id: 12,
    nodes: [
      node(1, 'Const', { widgets_values: [5, 'randomize'], outputs: out('NUM', [1]) }),
      node(2, 'Const', { widgets_values: [7, 'fixed'], outputs: out('NUM', [3, 7, 9, 12]) }),
      node(20, 'Reroute', { inputs: [{ name: '', type: '*', link: 1 }], outputs: out('*', [2]) }),
      node(3, 'Add', {
        inputs: [
          { name: 'a', type: 'NUM', link: 2 },
          { name: 'b', type: 'NUM', link: 3 },
          { name: 'c', type: 'NUM', link: null },
        ],
        outputs: out('NUM', [4]),
        widgets_values: [0.5],
      }),
      node(6, 'Pick', { widgets_values: ['slow', true, 'hi'], outputs: out('STRING', [5]) }),
      node(5, 'Show', {
        inputs: [
          { name: 'n', type: 'NUM', link: 4 },
          { name: 'label', type: 'STRING', link: 5, widget: { name: 'label' } },
        ],
        widgets_values: ['ignored'],
        title: 'Result',
      }),
      node(7, 'Const', { mode: 2, widgets_values: [1, 'fixed'], outputs: out('NUM', [6]) }),
      node(8, 'Add', {
        inputs: [
          { name: 'a', type: 'NUM', link: 6 },
          { name: 'b', type: 'NUM', link: 7 },
        ],
        outputs: out('NUM', [8]),
        widgets_values: [1],
      }),
      node(9, 'Show', { inputs: [{ name: 'n', type: 'NUM', link: 8 }], widgets_values: ['eight'] }),
      node(11, 'Add', {
        mode: 4,
        inputs: [
          { name: 'a', type: 'NUM', link: 9 },
          { name: 'b', type: 'NUM', link: null },
        ],
        outputs: out('NUM', [10]),
        widgets_values: [2],
      }),
      node(12, 'Show', { inputs: [{ name: 'n', type: 'NUM', link: 10 }], widgets_values: ['twelve'] }),
      node(13, 'Text', { mode: 4, widgets_values: ['t'], outputs: out('STRING', [11]) }),
      node(14, 'Show', {
        inputs: [
          { name: 'n', type: 'NUM', link: 12 },
          { name: 'label', type: 'STRING', link: 11, widget: { name: 'label' } },
        ],
        widgets_values: ['fallback'],
      }),
      node(30, 'Note', { widgets_values: ['remember the milk'] }),
    ],
    links: [
      [1, 1, 0, 20, 0, 'NUM'],
      [2, 20, 0, 3, 0, 'NUM'],
      [3, 2, 0, 3, 1, 'NUM'],
      [4, 3, 0, 5, 0, 'NUM'],
      [5, 6, 0, 5, 1, 'STRING'],
      [6, 7, 0, 8, 0, 'NUM'],
      [7, 2, 0, 8, 1, 'NUM'],
      [8, 8, 0, 9, 0, 'NUM'],
      [9, 2, 0, 11, 0, 'NUM'],
      [10, 11, 0, 12, 0, 'NUM'],
      [11, 13, 0, 14, 1, 'STRING'],
      [12, 2, 0, 14, 0, 'NUM'],
    ],
    groups: [],
    config: {},
    extra: {},
    version: 0.4,
  };
}

describe('workflowToPrompt', () => {
  const { prompt } = workflowToPrompt(workflow(), registry);

  it('reads widget values in schema order, skipping the control-after-generate value', () => {
    expect(prompt['1'].inputs).toEqual({ value: 5 });
    expect(prompt['2'].inputs).toEqual({ value: 7 });
    expect(prompt['6'].inputs).toEqual({ mode: 'slow', flag: true, text: 'hi' });
    expect(prompt['3'].inputs).toMatchObject({ scale: 0.5 });
  });

  it('follows reroutes and leaves unlinked optional sockets out', () => {
    expect(prompt['3'].inputs).toEqual({ a: ['1', 0], b: ['2', 0], scale: 0.5 });
    expect(prompt['20']).toBeUndefined();
  });

  it('uses the link of a widget converted to an input', () => {
    expect(prompt['5']).toEqual({ class_type: 'Show', inputs: { n: ['3', 0], label: ['6', 0] }, _meta: { title: 'Result' } });
  });

  it('leaves muted nodes out, so links from them are dropped', () => {
    expect(prompt['7']).toBeUndefined();
    expect(prompt['8'].inputs).toEqual({ b: ['2', 0], scale: 1 });
  });

  it('passes a bypassed node through to its first input of the same type, else drops the link', () => {
    expect(prompt['11']).toBeUndefined();
    expect(prompt['12'].inputs).toEqual({ n: ['2', 0], label: 'twelve' });
    expect(prompt['13']).toBeUndefined();
    // No STRING input on the bypassed Text: the converted widget keeps its value.
    expect(prompt['14'].inputs).toEqual({ n: ['2', 0], label: 'fallback' });
  });

  it('leaves front-end-only nodes out and names nodes with their display name', () => {
    expect(prompt['30']).toBeUndefined();
    expect(prompt['9']._meta).toEqual({ title: 'Show' });
    expect(Object.keys(prompt).sort()).toEqual(['1', '12', '14', '2', '3', '5', '6', '8', '9']);
  });

  it('gives a prompt that validates (node 8 lost its muted input: only its output fails)', async () => {
    const r = await validatePrompt(prompt, registry, env);
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual(['5', '12', '14']);
    expect(r.node_errors['8'].errors[0]).toMatchObject({ type: 'required_input_missing', extra_info: { input_name: 'a' } });
  });

  it('fills missing widget values with defaults', () => {
    const wf = workflow();
    wf.nodes[0].widgets_values = [];
    expect(workflowToPrompt(wf, registry).prompt['1'].inputs).toEqual({ value: 0 });
  });

  it('rejects an unknown node type, naming the node', () => {
    const wf = workflow();
    wf.nodes.push(node(40, 'Mystery'));
    expect(() => workflowToPrompt(wf, registry)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(wf, registry)).toThrow(/#40.*Mystery/);
  });

  it('rejects something that is not a workflow', () => {
    expect(() => workflowToPrompt({ nodes: 3 }, registry)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(null, registry)).toThrow(WorkflowError);
  });
});

describe('isApiPrompt', () => {
  it('tells the API format from the workflow format', () => {
    expect(isApiPrompt(workflowToPrompt(workflow(), registry).prompt)).toBe(true);
    expect(isApiPrompt(workflow())).toBe(false);
    expect(isApiPrompt({})).toBe(false);
    expect(isApiPrompt({ '1': { class_type: 'Const', inputs: {} }, '2': { inputs: {} } })).toBe(false);
    expect(isApiPrompt([{ class_type: 'Const' }])).toBe(false);
  });
});
