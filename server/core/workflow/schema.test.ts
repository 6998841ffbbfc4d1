import { describe, expect, it } from 'vitest';
import { isApiPrompt, parseApiPrompt, parseWorkflow, workflowToPrompt, WorkflowError } from './index.ts';
import { exampleWorkflow, testNodeTypes } from './workflow.testing.ts';

/** The WorkflowError message `parse` throws for `doc`. */
function errorOf(parse: (doc: unknown) => unknown, doc: unknown): string {
  try {
    parse(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowError);
    return (e as Error).message;
  }
  throw new Error('expected a WorkflowError');
}

describe('parseWorkflow', () => {
  it('accepts a workflow as it is, keeping keys it does not name', () => {
    const wf = exampleWorkflow();
    const parsed = parseWorkflow(wf);
    expect(parsed).toEqual(wf);
    expect(parsed.nodes[0]).toHaveProperty('pos', [0, 0]);
    expect(workflowToPrompt(parsed, testNodeTypes)).toEqual(workflowToPrompt(wf, testNodeTypes));
  });

  it('rejects something that is not a workflow', () => {
    expect(errorOf(parseWorkflow, null)).toBe('a workflow must be an object with a "nodes" array');
    expect(errorOf(parseWorkflow, [])).toBe('a workflow must be an object with a "nodes" array');
    expect(errorOf(parseWorkflow, { nodes: 3 })).toBe('workflow: nodes: expected an array of nodes');
  });

  it('names the node and the field at fault', () => {
    const wf = exampleWorkflow();
    (wf.nodes[3].inputs![1] as { link: unknown }).link = 'three';
    expect(errorOf(parseWorkflow, wf)).toBe('Node #3 (Add): inputs[1].link: expected a link id (a number) or null');

    const noType = exampleWorkflow();
    (noType.nodes[1] as { type: unknown }).type = 7;
    expect(errorOf(parseWorkflow, noType)).toBe('Node #2: type: expected a node type (a string)');

    const noId = exampleWorkflow();
    (noId.nodes[4] as { id: unknown }).id = undefined;
    expect(errorOf(parseWorkflow, noId)).toBe('workflow node at nodes[4]: id: expected a node id (a number or a string)');

    const values = exampleWorkflow();
    (values.nodes[4] as { widgets_values: unknown }).widgets_values = 'slow';
    expect(errorOf(parseWorkflow, values)).toBe('Node #6 (Pick): widgets_values: expected a list of widget values (or an object by name)');
  });

  it('names links and duplicate node ids, and counts what it does not list', () => {
    const link = exampleWorkflow();
    (link.links as unknown[])[2] = [3, 2, 'out', 3, 1, 'NUM'];
    expect(errorOf(parseWorkflow, link)).toMatch(/^workflow: links\[2\]: expected a link: \[id, origin_id/);

    const twice = exampleWorkflow();
    twice.nodes[5].id = 3;
    expect(errorOf(parseWorkflow, twice)).toBe('Node #3 (Show): id: another node has the same id');

    const many = exampleWorkflow();
    for (const n of many.nodes) (n as { mode: unknown }).mode = 'on';
    expect(errorOf(parseWorkflow, many)).toMatch(/^Node #1 \(Const\): mode: expected a mode .*; Node #2 \(Const\): mode: .*; and 11 more$/);
  });
});

describe('parseApiPrompt', () => {
  it('accepts an API prompt, and names the node and field at fault', () => {
    const prompt = workflowToPrompt(exampleWorkflow(), testNodeTypes);
    expect(parseApiPrompt(prompt)).toEqual(prompt);
    expect(errorOf(parseApiPrompt, { ...prompt, '3': { class_type: 'Add', inputs: [1, 2] } })).toBe(
      'Node #3 (Add): inputs: expected inputs (an object of name: value or [node id, output index])',
    );
    expect(errorOf(parseApiPrompt, { ...prompt, '4': { inputs: {} } })).toBe('Node #4: class_type: expected a class_type (a string)');
    expect(errorOf(parseApiPrompt, [prompt['1']])).toBe('prompt: an API prompt must be an object of nodes by id');
  });
});

describe('isApiPrompt', () => {
  it('tells the API format from the workflow format', () => {
    expect(isApiPrompt(workflowToPrompt(exampleWorkflow(), testNodeTypes))).toBe(true);
    expect(isApiPrompt(exampleWorkflow())).toBe(false);
    expect(isApiPrompt({})).toBe(false);
    expect(isApiPrompt({ '1': { class_type: 'Const', inputs: {} }, '2': { inputs: {} } })).toBe(false);
    expect(isApiPrompt([{ class_type: 'Const' }])).toBe(false);
  });
});
