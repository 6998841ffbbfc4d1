// Save / Save As: asks for a name when the workflow has none (or for Save As).
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
    const name = window.prompt('Save workflow as:', workflows.name ?? 'my workflow');
    if (!name) return;
    if (workflows.saved.some((w) => w.name === name) && name !== workflows.name && !window.confirm(`Overwrite "${name}"?`)) return;
    await workflows.saveAs(name);
    toasts.show(`Saved ${workflows.name}`, 'success');
  } catch (e) {
    toasts.show(`Save failed: ${(e as Error).message}`, 'error');
  }
}
