// Writes the example workflows (workflows/*.json, UI format) from scripts/lib/example-workflows.ts,
// reading sockets and widget order from the node registry. Re-run after a node schema changes:
//   npx tsx scripts/make-workflows.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadRegistry, type NodeRegistry } from '../server/engine/registry.ts';
import { buildWorkflow, type UiWorkflow } from './lib/workflow-builder.ts';
import { combineShifts, COSINE_EDIT, ERASE_CONCEPT, MULTI_SUBJECT, PERSONALIZE } from './lib/example-workflows.ts';

/** A node that joins IMAGE batches (ImageBatch), if the registry has one: its IMAGE inputs. */
export function batchNode(registry: NodeRegistry): { type: string; inputs: string[] } | undefined {
  const def = registry.get('ImageBatch');
  if (!def) return undefined;
  return { type: def.type, inputs: Object.entries(def.inputs).filter(([, s]) => s.type === 'IMAGE').map(([n]) => n) };
}

export function exampleWorkflows(registry: NodeRegistry): Record<string, UiWorkflow> {
  return {
    'svdiff-personalize': buildWorkflow(PERSONALIZE, registry),
    'combine-shifts': buildWorkflow(combineShifts(batchNode(registry)), registry),
    'cosine-edit': buildWorkflow(COSINE_EDIT, registry),
    'multi-subject': buildWorkflow(MULTI_SUBJECT, registry),
    'erase-concept': buildWorkflow(ERASE_CONCEPT, registry),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('../workflows/', import.meta.url));
  await mkdir(dir, { recursive: true });
  for (const [name, wf] of Object.entries(exampleWorkflows(await loadRegistry()))) {
    await writeFile(`${dir}${name}.json`, `${JSON.stringify(wf, null, 2)}\n`);
    console.log(`workflows/${name}.json: ${wf.nodes.length} nodes, ${wf.links.length} links`);
  }
}
