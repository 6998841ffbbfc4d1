// The canvas side of the shared workflow module (server/core/workflow): node types from
// /api/object_info, so the canvas converts workflows exactly as `svdiff-studio run` does.
// Imports to-prompt.ts itself, not the module's index, so zod stays out of the bundle.
import type { ApiPrompt, ObjectInfo, Workflow } from '../api/types.ts';
import type { NodeTypeInfo, NodeTypeLookup } from '../../../server/core/workflow/types.ts';
import { workflowToPrompt as convert } from '../../../server/core/workflow/to-prompt.ts';
import { hasControlAfterGenerate, orderedInputs } from './nodeSpec.ts';

export { WorkflowError } from '../../../server/core/workflow/errors.ts';

/** Throws a WorkflowError naming the node for an unknown node type or links that loop. */
export function workflowToPrompt(workflow: Workflow, defs: ObjectInfo): ApiPrompt {
  return convert(workflow, objectInfoNodeTypes(defs));
}

/** object_info's definitions as converting sees them: inputs in input_order, seed controls, defaults. */
export function objectInfoNodeTypes(defs: ObjectInfo): NodeTypeLookup {
  const infos = new Map<string, NodeTypeInfo>();
  return (type) => {
    const def = Object.hasOwn(defs, type) ? defs[type] : undefined;
    if (!def) return undefined;
    let info = infos.get(type);
    if (!info) {
      info = {
        displayName: def.display_name,
        inputs: orderedInputs(def).map((i) => ({ name: i.name, type: i.type, widget: i.widget !== undefined, controlAfterGenerate: hasControlAfterGenerate(i), default: i.options.default })),
      };
      infos.set(type, info);
    }
    return info;
  };
}
