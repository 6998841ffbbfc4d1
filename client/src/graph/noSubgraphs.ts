// litegraph 0.17's "Convert to Subgraph" (node menu; canvas menu with several nodes selected)
// removes the selected nodes first and then creates the subgraph node, whose type only
// ComfyUI's frontend registers (on "subgraph-created"), so here it failed with "Failed to create
// subgraph node" after the nodes were gone. The studio has no subgraphs (the server's
// prompt converter and the workflow format it shares know none), so the entries go and the
// conversion refuses before touching the graph.
import { LGraph, LGraphCanvas } from '@comfyorg/litegraph';

type MenuEntry = { content?: unknown } | null;
const isConvert = (o: MenuEntry) => typeof o?.content === 'string' && o.content.startsWith('Convert to Subgraph');

let installed = false;

export function disableSubgraphConversion(notify: (message: string) => void): void {
  if (installed) return;
  installed = true;
  const proto = LGraphCanvas.prototype as unknown as Record<'getNodeMenuOptions' | 'getCanvasMenuOptions', (...a: unknown[]) => MenuEntry[]>;
  for (const m of ['getNodeMenuOptions', 'getCanvasMenuOptions'] as const) {
    const original = proto[m];
    proto[m] = function (this: unknown, ...args: unknown[]) {
      const options = original.apply(this, args);
      return Array.isArray(options) ? options.filter((o) => !isConvert(o)) : options;
    };
  }
  (LGraph.prototype as unknown as { convertToSubgraph: () => unknown }).convertToSubgraph = () => {
    notify('Subgraphs are not supported in SVDiff Studio: the nodes stay as they are');
    return undefined;
  };
}
