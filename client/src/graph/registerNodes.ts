// Registers one litegraph node type per /api/object_info definition.
import { LiteGraph } from '@comfyorg/litegraph';
import type { ObjectInfo } from '../api/types.ts';
import { makeNodeClass, type NodeEnv } from './nodeClass.ts';

export function registerNodeTypes(defs: ObjectInfo, env: NodeEnv): void {
  for (const def of Object.values(defs)) {
    const cls = makeNodeClass(def, env) as unknown as { category?: string; description?: string };
    cls.category = def.category;
    cls.description = def.description;
    if (LiteGraph.registered_node_types[def.name]) LiteGraph.unregisterNodeType(def.name);
    LiteGraph.registerNodeType(def.name, cls as never);
  }
}
