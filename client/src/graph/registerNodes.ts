// Registers one litegraph node type per /api/object_info definition.
import { LiteGraph } from '@comfyorg/litegraph';
import type { ObjectInfo } from '../api/types.ts';
import { makeNodeClass, type NodeEnv } from './nodeClass.ts';

export function registerNodeTypes(defs: ObjectInfo, env: NodeEnv): void {
  for (const def of Object.values(defs)) {
    const cls = makeNodeClass(def, env) as unknown as { category?: string; description?: string };
    if (LiteGraph.registered_node_types[def.name]) LiteGraph.unregisterNodeType(def.name);
    LiteGraph.registerNodeType(def.name, cls as never);
    // registerNodeType derives the category from a "category/Name" type path and overwrites
    // the class's own: our types are plain class names, so it would leave "" and the canvas's
    // Add Node menu (built from categories) empty. Set it after registering, as ComfyUI does.
    cls.category = def.category;
    cls.description = def.description;
  }
}
