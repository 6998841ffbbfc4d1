// The server's side of the shared workflow module (server/core/workflow): node types from the
// registry's definitions, so `svdiff-studio run`, scripts and tests convert UI workflows the
// way the canvas does.
import type { ApiPrompt, NodeDefinition } from '../core/index.ts';
import { isWidgetType } from '../core/index.ts';
import { parseWorkflow, workflowToPrompt as convert, type NodeTypeInfo, type NodeTypeLookup } from '../core/workflow/index.ts';
import type { NodeRegistry } from './registry.ts';

export { isApiPrompt, parseApiPrompt, WorkflowError } from '../core/workflow/index.ts';

/** Checks a UI workflow (a WorkflowError names the node at fault) and converts it to an API prompt. */
export function workflowToPrompt(workflow: unknown, registry: NodeRegistry): ApiPrompt {
  return convert(parseWorkflow(workflow), registryNodeTypes(registry));
}

/** The registry's node types as converting sees them. */
export function registryNodeTypes(registry: NodeRegistry): NodeTypeLookup {
  const infos = new Map<string, NodeTypeInfo | undefined>();
  return (type) => {
    if (!infos.has(type)) {
      const def = registry.get(type);
      infos.set(type, def && nodeTypeInfo(def));
    }
    return infos.get(type);
  };
}

/** Inputs in object_info's input_order (required, then optional), as the registry describes them. */
function nodeTypeInfo(def: NodeDefinition): NodeTypeInfo {
  const entries = Object.entries(def.inputs);
  const ordered = [...entries.filter(([, s]) => !s.optional), ...entries.filter(([, s]) => s.optional)];
  return {
    displayName: def.displayName,
    inputs: ordered.map(([name, spec]) => ({
      name,
      type: spec.type,
      widget: isWidgetType(spec.type),
      controlAfterGenerate: spec.type === 'INT' && 'controlAfterGenerate' in spec && spec.controlAfterGenerate === true,
      default: 'default' in spec ? spec.default : undefined,
    })),
  };
}
