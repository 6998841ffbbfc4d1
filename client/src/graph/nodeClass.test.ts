import { beforeAll, describe, expect, it } from 'vitest';
import { LGraph, LiteGraph } from '@comfyorg/litegraph';
import type { Workflow } from '../api/types.ts';
import { DEFS } from '../test/defs.ts';
import { registerNodeTypes } from './registerNodes.ts';
import { workflowToPrompt } from './workflowToPrompt.ts';
import { applySeedControl } from './applySeedControl.ts';
import type { NodeEnv } from './nodeClass.ts';

const shown: string[] = [];
const env: NodeEnv = {
  inputImageUrl: (n) => `/view/${n}`,
  requestUpload: () => {},
  defaultControl: () => 'increment',
  showInputImage: (_node, name) => void shown.push(name),
};

beforeAll(() => registerNodeTypes(DEFS, env));

type W = { name: string; type: string; value: unknown; options: Record<string, unknown> };

describe('node types from object_info', () => {
  it('creates widgets with defaults and ranges, typed sockets and a widget slot per widget', () => {
    const n = LiteGraph.createNode('Noise')!;
    const widgets = n.widgets as unknown as W[];
    expect(widgets.map((w) => [w.name, w.type, w.value])).toEqual([
      ['seed', 'number', 7],
      ['control_after_generate', 'combo', 'increment'],
      ['width', 'number', 64],
      ['strength', 'number', 0.5],
    ]);
    expect(widgets[2].options).toMatchObject({ min: 8, max: 512, step2: 8, precision: 0 });
    expect(widgets[3].options).toMatchObject({ min: 0, max: 1, step2: 0.05, precision: 2 });
    expect(n.inputs.map((i) => [i.name, i.type, i.widget?.name])).toEqual([
      ['seed', 'INT', 'seed'],
      ['width', 'INT', 'width'],
      ['strength', 'FLOAT', 'strength'],
    ]);
    expect(n.outputs.map((o) => [o.name, o.type])).toEqual([['LATENT', 'LATENT']]);
    const b = LiteGraph.createNode('Blend')!;
    expect((b.widgets as unknown as W[]).map((w) => [w.name, w.type, w.value])).toEqual([
      ['mode', 'combo', 'add'],
      ['label', 'textarea', 'x'],
      ['flip', 'toggle', true],
    ]);
    expect(b.inputs.slice(0, 2).map((i) => [i.name, i.type, i.widget])).toEqual([
      ['a', 'IMAGE', undefined],
      ['b', 'IMAGE', undefined],
    ]);
  });

  it('serialises widgets_values without holes despite the upload button, and round-trips', () => {
    const graph = new LGraph();
    const load = LiteGraph.createNode('LoadImage')!;
    graph.add(load);
    expect((load.widgets as unknown as W[]).map((w) => w.name)).toEqual(['image', 'upload']);
    (load.widgets as unknown as W[])[0].value = 'b.png';
    const save = LiteGraph.createNode('SaveImage')!;
    graph.add(save);
    load.connect(0, save, 0);
    const data = graph.serialize() as unknown as Workflow;
    const sLoad = data.nodes.find((n) => n.type === 'LoadImage')!;
    expect(sLoad.widgets_values).toEqual(['b.png']);
    expect(data.links).toHaveLength(1);
    expect((data.links![0] as unknown[]).slice(1)).toEqual([load.id, 0, save.id, 0, 'IMAGE']);

    const copy = new LGraph();
    copy.configure(JSON.parse(JSON.stringify(data)));
    const again = copy.serialize() as unknown as Workflow;
    expect(again.nodes.map((n) => n.widgets_values)).toEqual(data.nodes.map((n) => n.widgets_values));
    expect(shown).toContain('b.png');

    expect(workflowToPrompt(again, DEFS)).toEqual({
      [String(load.id)]: { class_type: 'LoadImage', inputs: { image: 'b.png' }, _meta: { title: 'Load Image' } },
      [String(save.id)]: { class_type: 'SaveImage', inputs: { images: [String(load.id), 0], filename_prefix: 'svdiff' }, _meta: { title: 'Save Image' } },
    });
  });

  it('links only between matching socket types', () => {
    const graph = new LGraph();
    const noise = LiteGraph.createNode('Noise')!;
    const save = LiteGraph.createNode('SaveImage')!;
    graph.add(noise);
    graph.add(save);
    expect(noise.connect(0, save, 0)).toBeFalsy();
    expect(save.inputs[0].link).toBeNull();
  });

  it('moves seeds per their control after each queue', () => {
    const graph = new LGraph();
    const n = LiteGraph.createNode('Noise')!;
    graph.add(n);
    const w = n.widgets as unknown as W[];
    applySeedControl(graph);
    expect(w[0].value).toBe(8);
    w[1].value = 'fixed';
    applySeedControl(graph);
    expect(w[0].value).toBe(8);
    w[1].value = 'randomize';
    for (let i = 0; i < 20; i++) {
      applySeedControl(graph);
      expect(w[0].value).toBeGreaterThanOrEqual(0);
      expect(w[0].value).toBeLessThanOrEqual(100);
      expect(Number.isInteger(w[0].value)).toBe(true);
    }
  });
});
