import { beforeAll, describe, expect, it } from 'vitest';
import { LGraph, LiteGraph } from '@comfyorg/litegraph';
import type { Workflow } from '../api/types.ts';
import { DEFS } from '../test/defs.ts';
import { objectInfoNodeTypes, workflowToPrompt, WorkflowError } from './workflowToPrompt.ts';
import { widgetValueSlots } from './nodeSpec.ts';
import { registerNodeTypes } from './registerNodes.ts';

function wf(nodes: Workflow['nodes'], links: Workflow['links'] = []): Workflow {
  return { nodes, links };
}

describe('workflowToPrompt', () => {
  it('orders widget values required-then-optional with one control entry after seed INTs', () => {
    expect(widgetValueSlots(DEFS.Noise)).toEqual([
      { name: 'seed', control: false },
      { name: 'seed', control: true },
      { name: 'width', control: false },
      { name: 'strength', control: false },
    ]);
    const p = workflowToPrompt(wf([{ id: 5, type: 'Noise', widgets_values: [42, 'randomize', 128, 0.25] }]), DEFS);
    expect(p).toEqual({ '5': { class_type: 'Noise', inputs: { seed: 42, width: 128, strength: 0.25 }, _meta: { title: 'Random Noise' } } });
  });

  it('links become [sourceId, slot] and override a widget turned into an input', () => {
    const nodes: Workflow['nodes'] = [
      { id: 1, type: 'LoadImage', widgets_values: ['a.png'], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [10, 11] }] },
      { id: 2, type: 'Noise', widgets_values: [1, 'fixed', 64, 0.5], outputs: [{ name: 'LATENT', type: 'LATENT', links: [] }] },
      {
        id: 3, type: 'Blend', title: 'My blend', widgets_values: ['mix', 'hello', false],
        inputs: [
          { name: 'a', type: 'IMAGE', link: 10 },
          { name: 'b', type: 'IMAGE', link: 11 },
          { name: 'label', type: 'STRING', link: 12, widget: { name: 'label' } },
        ],
      },
      { id: 4, type: 'Note', widgets_values: ['just text'] },
    ];
    const links: Workflow['links'] = [
      [10, 1, 0, 3, 0, 'IMAGE'],
      [11, 1, 0, 3, 1, 'IMAGE'],
      [12, 9, 0, 3, 2, 'STRING'], // from a node that no longer exists: the widget value stays
    ];
    const p = workflowToPrompt(wf(nodes, links), DEFS);
    expect(Object.keys(p)).toEqual(['1', '2', '3']);
    expect(p['3']).toEqual({ class_type: 'Blend', inputs: { a: ['1', 0], b: ['1', 0], mode: 'mix', label: 'hello', flip: false }, _meta: { title: 'My blend' } });
  });

  it('leaves out muted nodes and passes links through bypassed ones', () => {
    const nodes: Workflow['nodes'] = [
      { id: 1, type: 'LoadImage', widgets_values: ['a.png'] },
      { id: 2, type: 'Blend', mode: 4, widgets_values: ['mix', 'x', true], inputs: [{ name: 'a', type: 'IMAGE', link: 1 }, { name: 'b', type: 'IMAGE', link: null }] },
      { id: 3, type: 'SaveImage', widgets_values: ['out'], inputs: [{ name: 'images', type: 'IMAGE', link: 2 }] },
      { id: 4, type: 'LoadImage', mode: 2, widgets_values: ['b.png'] },
      { id: 5, type: 'SaveImage', widgets_values: ['muted-src'], inputs: [{ name: 'images', type: 'IMAGE', link: 3 }] },
    ];
    const links: Workflow['links'] = [
      [1, 1, 0, 2, 0, 'IMAGE'],
      [2, 2, 0, 3, 0, 'IMAGE'],
      [3, 4, 0, 5, 0, 'IMAGE'],
    ];
    const p = workflowToPrompt(wf(nodes, links), DEFS);
    expect(Object.keys(p).sort()).toEqual(['1', '3', '5']);
    expect(p['3'].inputs).toEqual({ images: ['1', 0], filename_prefix: 'out' });
    expect(p['5'].inputs).toEqual({ filename_prefix: 'muted-src' });
  });

  it('follows Reroute nodes, as the server does', () => {
    const nodes: Workflow['nodes'] = [
      { id: 1, type: 'LoadImage', widgets_values: ['a.png'] },
      { id: 7, type: 'Reroute', inputs: [{ name: '', type: '*', link: 1 }], outputs: [{ name: '', type: 'IMAGE', links: [2] }] },
      { id: 8, type: 'Reroute', inputs: [{ name: '', type: '*', link: 2 }], outputs: [{ name: '', type: 'IMAGE', links: [3] }] },
      { id: 3, type: 'SaveImage', widgets_values: ['out'], inputs: [{ name: 'images', type: 'IMAGE', link: 3 }] },
    ];
    const links: Workflow['links'] = [
      [1, 1, 0, 7, 0, 'IMAGE'],
      [2, 7, 0, 8, 0, 'IMAGE'],
      [3, 8, 0, 3, 0, 'IMAGE'],
    ];
    const p = workflowToPrompt(wf(nodes, links), DEFS);
    expect(Object.keys(p).sort()).toEqual(['1', '3']);
    expect(p['3'].inputs).toEqual({ images: ['1', 0], filename_prefix: 'out' });
  });

  it('bypasses by the server\'s rule: the input at the output index, types matched case-insensitively', () => {
    const nodes: Workflow['nodes'] = [
      { id: 1, type: 'LoadImage', widgets_values: ['a.png'] },
      // a is unlinked: output 0 stands for input 0, so the link is dropped (b is not taken instead).
      { id: 2, type: 'Blend', mode: 4, widgets_values: ['mix', 'x', true], inputs: [{ name: 'a', type: 'IMAGE', link: null }, { name: 'b', type: 'IMAGE', link: 1 }] },
      { id: 3, type: 'SaveImage', widgets_values: ['out'], inputs: [{ name: 'images', type: 'IMAGE', link: 2 }] },
      { id: 4, type: 'Blend', mode: 4, widgets_values: ['mix', 'x', true], inputs: [{ name: 'a', type: 'image', link: 3 }] },
      { id: 5, type: 'SaveImage', widgets_values: ['lower'], inputs: [{ name: 'images', type: 'IMAGE', link: 4 }] },
    ];
    const links: Workflow['links'] = [
      [1, 1, 0, 2, 1, 'IMAGE'],
      [2, 2, 0, 3, 0, 'IMAGE'],
      [3, 1, 0, 4, 0, 'IMAGE'],
      [4, 4, 0, 5, 0, 'IMAGE'],
    ];
    const p = workflowToPrompt(wf(nodes, links), DEFS);
    expect(p['3'].inputs).toEqual({ filename_prefix: 'out' });
    expect(p['5'].inputs).toEqual({ images: ['1', 0], filename_prefix: 'lower' });
  });

  it('refuses a node type the server does not know, naming the node', () => {
    const convert = () => workflowToPrompt(wf([{ id: 6, type: 'Mystery', widgets_values: [] }]), DEFS);
    expect(convert).toThrow(WorkflowError);
    expect(convert).toThrow('Node #6 (Mystery): unknown node type');
  });

  it('reads node types from object_info: input_order, widgets, seed controls, defaults', () => {
    expect(objectInfoNodeTypes(DEFS)('Noise')).toEqual({
      displayName: 'Random Noise',
      inputs: [
        { name: 'seed', type: 'INT', widget: true, controlAfterGenerate: true, default: 7 },
        { name: 'width', type: 'INT', widget: true, controlAfterGenerate: false, default: 64 },
        { name: 'strength', type: 'FLOAT', widget: true, controlAfterGenerate: false, default: 0.5 },
      ],
    });
    expect(objectInfoNodeTypes(DEFS)('Blend')!.inputs.map((i) => [i.name, i.widget])).toEqual([['a', false], ['b', false], ['mode', true], ['label', true], ['flip', true]]);
    expect(objectInfoNodeTypes(DEFS)('toString')).toBeUndefined();
  });
});

describe('workflowToPrompt on what the canvas serialises', () => {
  beforeAll(() => registerNodeTypes(DEFS, { inputImageUrl: (n) => n, requestUpload: () => {}, defaultControl: () => 'fixed', showInputImage: () => {} }));

  it('passes a bypassed node through and leaves a muted one out', () => {
    const graph = new LGraph();
    const [load, blend, save, muted] = ['LoadImage', 'Blend', 'SaveImage', 'LoadImage'].map((t) => {
      const n = LiteGraph.createNode(t)!;
      graph.add(n);
      return n;
    });
    load.connect(0, blend, 0);
    blend.connect(0, save, 0);
    blend.mode = 4 as never;
    muted.mode = 2 as never;
    const p = workflowToPrompt(graph.serialize() as unknown as Workflow, DEFS);
    expect(Object.keys(p).sort()).toEqual([String(load.id), String(save.id)].sort());
    expect(p[String(save.id)].inputs).toEqual({ images: [String(load.id), 0], filename_prefix: 'svdiff' });
  });
});

