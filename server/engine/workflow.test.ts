// The registry adapter of the shared workflow module; the conversion itself is tested in
// server/core/workflow/to-prompt.test.ts on the same workflow.
import { describe, expect, it } from 'vitest';
import { isApiPrompt, registryNodeTypes, workflowToPrompt, WorkflowError } from './workflow.ts';
import { validatePrompt } from './validate.ts';
import { env, makeTestRegistry } from './nodes.testing.ts';
import { workflowToPrompt as convert } from '../core/workflow/index.ts';
import { exampleWorkflow, node, TEST_NODE_TYPES, testNodeTypes } from '../core/workflow/workflow.testing.ts';

const { registry } = makeTestRegistry();

describe('workflowToPrompt with the registry', () => {
  const prompt = workflowToPrompt(exampleWorkflow(), registry);

  it('reads node types from the registry: inputs required then optional, widgets, seed controls, defaults', () => {
    const types = registryNodeTypes(registry);
    for (const [type, info] of Object.entries(TEST_NODE_TYPES)) {
      expect(types(type), type).toEqual({ ...info, inputs: info.inputs.map((i) => ({ controlAfterGenerate: false, default: undefined, ...i })) });
    }
    expect(types('Mystery')).toBeUndefined();
    expect(prompt).toEqual(convert(exampleWorkflow(), testNodeTypes));
    expect(prompt['1'].inputs).toEqual({ value: 5 });
  });

  it('gives a prompt that validates (node 8 lost its muted input: only its output fails)', async () => {
    const r = await validatePrompt(prompt, registry, env);
    expect(r.ok).toBe(true);
    expect(r.outputs).toEqual(['5', '12', '14']);
    expect(r.node_errors['8'].errors[0]).toMatchObject({ type: 'required_input_missing', extra_info: { input_name: 'a' } });
  });

  it('rejects an unknown node type, naming the node', () => {
    const wf = exampleWorkflow();
    wf.nodes.push(node(40, 'Mystery'));
    expect(() => workflowToPrompt(wf, registry)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(wf, registry)).toThrow(/#40.*Mystery/);
  });

  it('rejects something that is not a workflow', () => {
    expect(() => workflowToPrompt({ nodes: 3 }, registry)).toThrow(WorkflowError);
    expect(() => workflowToPrompt(null, registry)).toThrow(WorkflowError);
    expect(() => workflowToPrompt({ nodes: [{ id: 1 }] }, registry)).toThrow(/Node #1: type: expected a node type/);
  });

  it('tells the API format from the workflow format', () => {
    expect(isApiPrompt(prompt)).toBe(true);
    expect(isApiPrompt(exampleWorkflow())).toBe(false);
  });
});
