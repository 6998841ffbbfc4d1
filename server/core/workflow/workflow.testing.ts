// A UI workflow and node types for the workflow tests (here and the engine's adapter test).
// TEST_NODE_TYPES describes the engine's test nodes (server/engine/nodes.testing.ts) as converting
// sees them; the engine test checks that the registry adapter gives the same.
import type { NodeInputInfo, NodeTypeInfo, NodeTypeLookup, WorkflowInput, WorkflowNode } from './types.ts';

const socket = (name: string, type: string): NodeInputInfo => ({ name, type, widget: false });
const widget = (name: string, type: string, extra: Partial<NodeInputInfo> = {}): NodeInputInfo => ({ name, type, widget: true, ...extra });

export const TEST_NODE_TYPES: Record<string, NodeTypeInfo> = {
  Const: { displayName: 'Constant', inputs: [widget('value', 'INT', { default: 0, controlAfterGenerate: true })] },
  Add: { displayName: 'Add', inputs: [socket('a', 'NUM'), socket('b', 'NUM'), socket('c', 'NUM'), widget('scale', 'FLOAT', { default: 1 })] },
  Show: { displayName: 'Show', inputs: [socket('n', 'NUM'), widget('label', 'STRING', { default: 'n' })] },
  Pick: { displayName: 'Pick', inputs: [widget('mode', 'COMBO'), widget('flag', 'BOOLEAN', { default: false }), widget('text', 'STRING', { default: '' })] },
  Text: { displayName: 'Text', inputs: [widget('text', 'STRING', { default: '' })] },
};
export const testNodeTypes: NodeTypeLookup = (type) => TEST_NODE_TYPES[type];

type Slot = WorkflowInput & { type: string; link: number | null };
export function node(
  id: number,
  type: string,
  opts: { inputs?: Slot[]; outputs?: { name: string; type: string; links: number[] }[]; widgets_values?: unknown[]; mode?: number; title?: string } = {},
): WorkflowNode & { widgets_values: unknown[] } {
  return { id, type, pos: [0, 0], size: [100, 50], flags: {}, order: id, mode: opts.mode ?? 0, inputs: opts.inputs ?? [], outputs: opts.outputs ?? [], properties: {}, widgets_values: opts.widgets_values ?? [], ...(opts.title ? { title: opts.title } : {}) };
}
export const out = (type: string, links: number[]) => [{ name: type.toLowerCase(), type, links }];

/**
 *  1 Const(5, randomize) ─L1→ 20 Reroute ─L2→ 3 Add.a
 *  2 Const(7, fixed) ─L3→ 3 Add.b (scale widget 0.5)        3 ─L4→ 5 Show.n
 *  6 Pick(slow, true, "hi") ─L5→ 5 Show.label (a converted widget; widgets_values still holds "ignored")
 *  7 Const muted ─L6→ 8 Add.a ; 2 ─L7→ 8 Add.b ; 8 ─L8→ 9 Show
 *  11 Add bypassed: 2 ─L9→ 11.a ; 11 ─L10→ 12 Show.n
 *  13 Text bypassed (no NUM input) ─L11→ 14 Show.label ; 2 ─L12→ 14 Show.n
 *  30 Note
 */
export function exampleWorkflow() {
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
    ] as [number, number, number, number, number, string][],
    groups: [],
    config: {},
    extra: {},
    version: 0.4,
  };
}
