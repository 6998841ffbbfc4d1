// Save / Save As: asks for a name when the workflow has none (or for Save As), offering the
// name it goes by (an imported file's, a template's).
import { useToastStore } from '../stores/toasts.ts';
import { useWorkflowsStore } from '../stores/workflows.ts';

export async function saveWorkflow(asNew: boolean): Promise<void> {
  const workflows = useWorkflowsStore();
  const toasts = useToastStore();
  try {
    if (!asNew && (await workflows.save())) {
      toasts.show(`Saved ${workflows.name}`, 'success');
      return;
    }
    const name = window.prompt('Save workflow as:', workflows.suggestedName)?.trim().replace(/\.json$/i, '');
    if (!name) return;
    if (workflows.saved.some((w) => w.name === name) && name !== workflows.name && !window.confirm(`Overwrite "${name}"?`)) return;
    await workflows.saveAs(name);
    toasts.show(`Saved ${workflows.name}`, 'success');
  } catch (e) {
    toasts.show(`Save failed: ${(e as Error).message}`, 'error');
  }
}

/** Asks for a new name and renames a saved workflow's file (open tabs follow). */
export async function renameWorkflow(from: string): Promise<void> {
  const workflows = useWorkflowsStore();
  const toasts = useToastStore();
  const to = window.prompt(`Rename "${from}" to:`, from)?.trim().replace(/\.json$/i, '');
  if (!to || to === from) return;
  try {
    const overwrite = workflows.saved.some((w) => w.name === to);
    if (overwrite && !window.confirm(`A workflow "${to}" exists. Replace it?`)) return;
    const done = await workflows.rename(from, to, overwrite);
    toasts.show(`Renamed ${from} to ${done}`, 'success');
  } catch (e) {
    toasts.show(`Rename failed: ${(e as Error).message}`, 'error');
  }
}

/** Renames a tab: its file when it is saved, else the name it goes by. */
export async function renameTab(id: string): Promise<void> {
  const workflows = useWorkflowsStore();
  const t = workflows.tabs.find((x) => x.id === id);
  if (!t) return;
  if (t.name) return renameWorkflow(t.name);
  const to = window.prompt('Rename workflow to:', t.draftName ?? t.template ?? 'my workflow')?.trim();
  if (to) await workflows.renameTab(id, to);
}
