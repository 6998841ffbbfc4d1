import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { bypassInputIndex, slotTypesConnect, workflowToPrompt, WorkflowError } from './index.ts';
import type { Workflow, WorkflowLinkTuple } from './index.ts';
import { exampleWorkflow, node, out, testNodeTypes } from './workflow.testing.ts';

describe('workflowToPrompt', () => {
  const prompt = workflowToPrompt(exampleWorkflow(), testNodeTypes);

  it('reads widget values in widget order, skipping the control-after-generate value', () => {
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

  it('passes a bypassed node through to its input of the same type, else drops the link', () => {
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

  it('fills missing widget values with defaults', () => {
    const wf = exampleWorkflow();
    wf.nodes[0].widgets_values = [];
    expect(workflowToPrompt(wf, testNodeTypes)['1'].inputs).toEqual({ value: 0 });
  });

  it('reads widgets_values written as an object by name', () => {
    const wf: Workflow = { nodes: [{ ...node(6, 'Pick'), widgets_values: { text: 'by name', mode: 'fast' } }], links: [] };
    expect(workflowToPrompt(wf, testNodeTypes)['6'].inputs).toEqual({ mode: 'fast', flag: false, text: 'by name' });
  });

  it('reads links in the object form newer front-ends write', () => {
    const wf: Workflow = {
      nodes: [node(1, 'Const', { widgets_values: [3, 'fixed'], outputs: out('NUM', [1]) }), node(2, 'Show', { inputs: [{ name: 'n', type: 'NUM', link: 1 }] })],
      links: [{ id: 1, origin_id: 1, origin_slot: 0, target_id: 2, target_slot: 0, type: 'NUM' }],
    };
    expect(workflowToPrompt(wf, testNodeTypes)['2'].inputs).toEqual({ n: ['1', 0], label: 'n' });
  });

  it('rejects an unknown node type, naming the node', () => {
    const wf = exampleWorkflow();
    wf.nodes.push(node(40, 'Mystery'));
    expect(() => workflowToPrompt(wf, testNodeTypes)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(wf, testNodeTypes)).toThrow(/#40.*Mystery/);
  });
});

/** Const #1 → … → Show #9.n, with the nodes in between given; links numbered in order. */
function chain(between: ReturnType<typeof node>[], links: WorkflowLinkTuple[]): Workflow {
  return { nodes: [node(1, 'Const', { widgets_values: [1, 'fixed'], outputs: out('NUM', [1]) }), node(2, 'Const', { widgets_values: [2, 'fixed'] }), ...between], links };
}
const show = (link: number | null, label?: number) =>
  node(9, 'Show', { inputs: [{ name: 'n', type: 'NUM', link }, ...(label ? [{ name: 'label', type: 'STRING', link: label, widget: { name: 'label' } }] : [])], widgets_values: ['kept'] });
const reroute = (id: number, link: number | null) => node(id, 'Reroute', { inputs: [{ name: '', type: '*', link }], outputs: out('*', []) });
const add = (id: number, a: number | null, b: number | null, mode = 4) =>
  node(id, 'Add', { mode, inputs: [{ name: 'a', type: 'NUM', link: a }, { name: 'b', type: 'NUM', link: b }], outputs: out('NUM', []) });

describe('Reroute nodes', () => {
  it('are followed through a chain, also into and out of a bypassed node', () => {
    // 1 → R20 → R21 → Add#5 (bypassed) → R22 → Show.n
    const wf = chain([reroute(20, 1), reroute(21, 2), add(5, 3, null), reroute(22, 4), show(5)], [
      [1, 1, 0, 20, 0, 'NUM'],
      [2, 20, 0, 21, 0, '*'],
      [3, 21, 0, 5, 0, '*'],
      [4, 5, 0, 22, 0, 'NUM'],
      [5, 22, 0, 9, 0, '*'],
    ]);
    const p = workflowToPrompt(wf, testNodeTypes);
    expect(Object.keys(p).sort()).toEqual(['1', '2', '9']);
    expect(p['9'].inputs).toEqual({ n: ['1', 0], label: 'kept' });
  });

  it('with nothing plugged in drop the link: a socket is left out, a widget keeps its value', () => {
    const wf = chain([reroute(20, null), reroute(21, null), show(1, 2)], [
      [1, 20, 0, 9, 0, '*'],
      [2, 21, 0, 9, 1, '*'],
    ]);
    expect(workflowToPrompt(wf, testNodeTypes)['9'].inputs).toEqual({ label: 'kept' });
  });

  it('that loop are an error naming a node on the loop', () => {
    const wf = chain([reroute(20, 2), reroute(21, 1), show(3)], [
      [1, 20, 0, 21, 0, '*'],
      [2, 21, 0, 20, 0, '*'],
      [3, 21, 0, 9, 0, '*'],
    ]);
    expect(() => workflowToPrompt(wf, testNodeTypes)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(wf, testNodeTypes)).toThrow(/Node #2\d \(Reroute\): its links loop/);
  });
});

describe('muted nodes', () => {
  it('are left out even of an unknown type, and links from them are dropped through reroutes and bypasses', () => {
    // Mystery#7 (muted) → R20 → Show.n ; 1 → Const#8 (muted) → Add#5 (bypassed) → Show#10.n
    const wf = chain([node(7, 'Mystery', { mode: 2, outputs: out('NUM', [1]) }), reroute(20, 1), show(2), node(8, 'Const', { mode: 2 }), add(5, 3, null), { ...show(4), id: 10 }], [
      [1, 7, 0, 20, 0, 'NUM'],
      [2, 20, 0, 9, 0, '*'],
      [3, 8, 0, 5, 0, 'NUM'],
      [4, 5, 0, 10, 0, 'NUM'],
    ]);
    const p = workflowToPrompt(wf, testNodeTypes);
    expect(Object.keys(p).sort()).toEqual(['1', '10', '2', '9']);
    expect(p['9'].inputs).toEqual({ label: 'kept' });
    expect(p['10'].inputs).toEqual({ label: 'kept' });
  });
});

describe('links to missing nodes', () => {
  it('are dropped: a socket is left out, a widget keeps its value', () => {
    const wf = chain([show(1, 2)], [[1, 99, 0, 9, 0, 'NUM']]); // link 2 is not in the table, node 99 does not exist
    expect(workflowToPrompt(wf, testNodeTypes)['9'].inputs).toEqual({ label: 'kept' });
  });
});

describe('bypassed nodes (ComfyUI front-end rule)', () => {
  it('take the input at the output index when it fits, even when another input of the type is linked', () => {
    // Add#5 bypassed, a unlinked, b linked: output 0 → input 0 (a) → dropped. Before, the client took b.
    const wf = chain([add(5, null, 1), show(2)], [
      [1, 2, 0, 5, 1, 'NUM'],
      [2, 5, 0, 9, 0, 'NUM'],
    ]);
    expect(workflowToPrompt(wf, testNodeTypes)['9'].inputs).toEqual({ label: 'kept' });
  });

  it('match types case-insensitively and pass through chains of bypassed nodes', () => {
    const lower = node(5, 'Add', { mode: 4, inputs: [{ name: 'a', type: 'num', link: 1 }], outputs: out('num', []) });
    const wf = chain([lower, add(6, 2, null), show(3)], [
      [1, 1, 0, 5, 0, 'NUM'],
      [2, 5, 0, 6, 0, 'num'],
      [3, 6, 0, 9, 0, 'NUM'],
    ]);
    expect(workflowToPrompt(wf, testNodeTypes)['9'].inputs).toEqual({ n: ['1', 0], label: 'kept' });
  });

  it('choose the input by one rule', () => {
    const inputs = (...types: string[]) => types.map((type) => ({ type }));
    // The input at the output's index when it connects to the output's and the target's type.
    expect(bypassInputIndex(inputs('IMAGE', 'IMAGE'), 1, 'IMAGE', 'IMAGE')).toBe(1);
    expect(bypassInputIndex(inputs('MASK', 'IMAGE'), 0, 'IMAGE', 'IMAGE')).toBe(1);
    // Else the first of exactly the target's type, then the first that connects (case, `*`, comma lists).
    expect(bypassInputIndex(inputs('LATENT', 'image', 'IMAGE'), 0, 'IMAGE', 'IMAGE')).toBe(2);
    expect(bypassInputIndex(inputs('LATENT', 'image'), 0, 'IMAGE', 'IMAGE')).toBe(1);
    expect(bypassInputIndex(inputs('LATENT', 'INT,FLOAT'), 0, 'FLOAT', 'FLOAT')).toBe(1);
    expect(bypassInputIndex(inputs('LATENT', '*'), 0, 'IMAGE', 'IMAGE')).toBe(1);
    // A target of any type: the same index, else the first input.
    expect(bypassInputIndex(inputs('LATENT', 'MASK'), 1, '*', 'MASK')).toBe(1);
    expect(bypassInputIndex(inputs('LATENT'), 3, '*', 'MASK')).toBe(0);
    // Nothing fits, or no inputs at all: the link is dropped.
    expect(bypassInputIndex(inputs('LATENT'), 0, 'IMAGE', 'IMAGE')).toBe(-1);
    expect(bypassInputIndex([], 0, '*', 'IMAGE')).toBe(-1);
  });

  it('connect types the way litegraph does', () => {
    expect(slotTypesConnect('IMAGE', 'image')).toBe(true);
    expect(slotTypesConnect('*', 'LATENT')).toBe(true);
    expect(slotTypesConnect('', 'LATENT')).toBe(true);
    expect(slotTypesConnect('INT,FLOAT', 'float')).toBe(true);
    expect(slotTypesConnect('IMAGE', 'MASK')).toBe(false);
    expect(slotTypesConnect('INT,FLOAT', 'STRING,BOOLEAN')).toBe(false);
  });
});

describe('the shared workflow module', () => {
  it('is pure TypeScript: imports only itself, the core contracts it needs and zod; no Node or DOM globals', () => {
    const dir = new URL('./', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const src = readFileSync(new URL(f, dir), 'utf8').replace(/^\s*(\/\/.*|\*.*|\/\*\*.*)$/gm, '');
      const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) expect(['zod', '../wire.ts', '../input-error.ts'].includes(spec) || spec.startsWith('./'), `${f} imports ${spec}`).toBe(true);
      expect(src, f).not.toMatch(/\b(process|Buffer|require|window|document|globalThis|localStorage|fetch)\b/);
    }
  });
});
