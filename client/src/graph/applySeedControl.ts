// After a queue: moves each seed widget per its "control after generate" companion.
import type { LGraph } from '@comfyorg/litegraph';
import { CONTROL_WIDGET } from './nodeClass.ts';
import { nextSeed } from './seedControl.ts';

type W = { name: string; value: unknown; options: { min?: number; max?: number } };

export function applySeedControl(graph: LGraph): void {
  for (const node of graph.nodes) {
    const widgets = node.widgets as unknown as W[] | undefined;
    if (!widgets) continue;
    widgets.forEach((w, i) => {
      if (w.name !== CONTROL_WIDGET || i === 0) return;
      const seed = widgets[i - 1];
      if (typeof seed.value !== 'number') return;
      seed.value = nextSeed(seed.value, String(w.value), seed.options.min, seed.options.max);
    });
  }
}
