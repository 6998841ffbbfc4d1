// The canvas as the workflows store sees it (GraphHost): documents in and out with their view,
// undo history kept per document, nodes laid out before the first snapshot, templates framed
// readably, and layout the program does after a load or a run absorbed without an unsaved mark.
import type { Workflow } from '../api/types.ts';
import type { TrackerHistory } from '../graph/changeTracker.ts';
import { fitNodesToContent, readableView } from '../graph/layout.ts';
import { onLiveChange } from '../graph/live.ts';
import type { StudioCanvas } from '../graph/studioCanvas.ts';
import type { GraphHost, LoadOptions } from '../stores/workflows.ts';

/** The view of the canvas in a workflow's extra.ds, as ComfyUI stores it. */
function withView(s: StudioCanvas): Workflow {
  const w = s.serialize();
  const { scale, offset } = s.canvas.ds;
  return { ...w, extra: { ...(w.extra ?? {}), ds: { scale, offset: [offset[0], offset[1]] } } };
}

/** Frames the graph so that its text stays readable (at 0.6 or more), its start in view. */
export function fitReadable(s: StudioCanvas): void {
  const b = s.contentBounds();
  const el = s.canvas.canvas as HTMLCanvasElement;
  if (!b) {
    s.canvas.ds.scale = 1;
    s.canvas.ds.offset = [0, 0] as never;
  } else {
    const v = readableView(b, [el.clientWidth || 800, el.clientHeight || 600]);
    s.canvas.ds.scale = v.scale;
    s.canvas.ds.offset = v.offset as never;
  }
  s.canvas.setDirty(true, true);
}

function settleSoon(s: StudioCanvas): void {
  setTimeout(() => s.tracker.settle(), 0);
}

export function workflowHost(s: StudioCanvas): GraphHost {
  // Nodes grow when a run's images or loss curve arrive: layout, not an edit.
  onLiveChange(() => settleSoon(s));
  return {
    serialize: () => withView(s),
    load(w: Workflow, o: LoadOptions = {}) {
      // A copy: the workflow may come from a reactive store (a Proxy structuredClone refuses).
      s.load(JSON.parse(JSON.stringify(w)) as Workflow);
      fitNodesToContent(s.graph);
      // Templates, and files that carry no view, are framed readably.
      const ds = (w.extra as { ds?: { scale?: unknown } } | undefined)?.ds;
      if (o.fit || typeof ds?.scale !== 'number') fitReadable(s);
      if (o.history) s.tracker.adopt(o.history as TrackerHistory);
      else s.tracker.reset(o.saved !== false);
      // Whatever the first draw still lays out belongs to the document as opened.
      requestAnimationFrame(() => s.tracker.settle());
    },
    isDirty: () => s.tracker.dirty,
    markSaved: () => s.tracker.markSaved(),
    history: () => s.tracker.history(),
    fitView: () => fitReadable(s),
  };
}
