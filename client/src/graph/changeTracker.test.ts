import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Workflow } from '../api/types.ts';
import { canonicalWorkflow, ChangeTracker, onlyNodesGrew, watchUserEdits } from './changeTracker.ts';

type Doc = { nodes: { id: number; pos: number[]; size: number[]; w?: number }[]; links: number[][] };

/** A document in memory behind the tracker; `roundTrip` mimics a loader that normalises. */
function setup(opts: { roundTrip?: (d: Doc) => Doc } = {}) {
  let doc: Doc = { nodes: [], links: [] };
  const onChange = vi.fn();
  const t = new ChangeTracker<Doc>(
    { take: () => structuredClone(doc), restore: (d) => void (doc = opts.roundTrip ? opts.roundTrip(d) : d) },
    { onChange, layoutOnly: (a, b) => onlyNodesGrew(a as unknown as Workflow, b as unknown as Workflow) },
  );
  const edit = (f: (d: Doc) => void) => {
    f(doc);
    return t.check();
  };
  return { t, edit, doc: () => doc, onChange };
}

const node = (id: number) => ({ id, pos: [0, 0], size: [200, 100] });

describe('ChangeTracker', () => {
  it('records each edit once, undoes and redoes them in order, and drops redo on a new edit', () => {
    const { t, edit, doc } = setup();
    expect(edit((d) => d.nodes.push(node(1)))).toBe(true); // add
    expect(edit((d) => d.nodes.push(node(2)))).toBe(true); // add
    expect(edit((d) => (d.nodes[0].pos = [50, 60]))).toBe(true); // move
    expect(edit((d) => d.links.push([1, 1, 0, 2, 0]))).toBe(true); // link
    expect(edit((d) => (d.nodes[1].w = 26))).toBe(true); // widget value
    expect(t.check()).toBe(false); // nothing new
    t.undo();
    expect(doc().nodes[1].w).toBeUndefined();
    t.undo();
    expect(doc().links).toEqual([]);
    t.undo();
    expect(doc().nodes[0].pos).toEqual([0, 0]);
    t.undo();
    expect(doc().nodes.map((n) => n.id)).toEqual([1]);
    t.redo();
    t.redo();
    t.redo();
    t.redo();
    expect(doc()).toEqual({ nodes: [{ ...node(1), pos: [50, 60] }, { ...node(2), w: 26 }], links: [[1, 1, 0, 2, 0]] });
    expect(t.redo()).toBe(false);
    t.undo();
    edit((d) => (d.nodes[1].size = [300, 100])); // resize
    expect(t.canRedo).toBe(false);
  });

  it('counts an edit not yet checked before undoing (a key pressed right after the edit)', () => {
    const { t, edit, doc } = setup();
    edit((d) => d.nodes.push(node(1)));
    doc().nodes.push(node(2)); // pasted; its check has not run yet
    expect(t.undo()).toBe(true);
    expect(doc().nodes.map((n) => n.id)).toEqual([1]);
    t.undo();
    doc().nodes.push(node(3)); // a new edit: redo has nothing left to redo
    expect(t.redo()).toBe(false);
    expect(doc().nodes.map((n) => n.id)).toEqual([3]);
  });

  it('knows when the document differs from its saved state, through undo and redo', () => {
    const { t, edit } = setup();
    expect(t.dirty).toBe(false);
    edit((d) => d.nodes.push(node(1)));
    expect(t.dirty).toBe(true);
    t.markSaved();
    expect(t.dirty).toBe(false);
    edit((d) => (d.nodes[0].pos = [5, 5]));
    expect(t.dirty).toBe(true);
    t.undo();
    expect(t.dirty).toBe(false);
    t.redo();
    expect(t.dirty).toBe(true);
    t.reset(false); // a document never saved stays changed
    expect(t.dirty).toBe(true);
    t.reset(true);
    expect(t.dirty).toBe(false);
  });

  it('compares with the graph as restored, so undo leaves no phantom change that would clear redo', () => {
    // The loader rounds positions (as litegraph normalises what it configures).
    const { t, edit } = setup({ roundTrip: (d) => ({ ...d, nodes: d.nodes.map((n) => ({ ...n, pos: n.pos.map(Math.round) })) }) });
    edit((d) => d.nodes.push({ ...node(1), pos: [0.4, 0.4] }));
    t.markSaved();
    edit((d) => (d.nodes[0].pos = [10, 10]));
    t.undo();
    expect(t.check()).toBe(false);
    expect(t.canRedo).toBe(true);
    expect(t.dirty).toBe(false); // the saved state, as it serialises now
  });

  it('absorbs nodes grown by the program without a step or an unsaved mark, and leaves real edits to check()', () => {
    const { t, edit, doc } = setup();
    edit((d) => d.nodes.push(node(1)));
    t.markSaved();
    doc().nodes[0].size = [200, 136]; // grown to fit an image
    expect(t.settle()).toBe(true);
    expect(t.dirty).toBe(false);
    expect(t.canUndo).toBe(true); // only the add
    t.undo();
    expect(doc().nodes).toEqual([]);
    t.redo();
    doc().nodes[0].size = [200, 90]; // shrunk: a user's resize, not layout
    expect(t.settle()).toBe(false);
    doc().nodes[0].pos = [3, 3];
    expect(t.settle()).toBe(false);
    expect(t.check()).toBe(true);
  });

  it('gives its history out and takes it back after the document was loaded again (tabs)', () => {
    const a = setup();
    a.edit((d) => d.nodes.push(node(1)));
    a.t.markSaved();
    a.edit((d) => d.nodes.push(node(2)));
    const h = a.t.history();
    const saved = structuredClone(a.doc());
    a.t.reset(true); // another document shown meanwhile
    const b = setup();
    b.edit((d) => d.nodes.push(...saved.nodes));
    b.t.adopt(h);
    expect(b.t.dirty).toBe(true);
    b.t.undo();
    expect(b.doc().nodes.map((n) => n.id)).toEqual([1]);
    expect(b.t.dirty).toBe(false);
  });

  it('batches several changes into one step and caps the history', () => {
    const { t, doc } = setup();
    t.batch(() => {
      doc().nodes.push(node(1));
      t.check();
      doc().nodes.push(node(2));
    });
    t.undo();
    expect(doc().nodes).toEqual([]);
    let x = 0;
    const small = new ChangeTracker<{ v: number }>({ take: () => ({ v: x }), restore: (s) => void (x = s.v) }, () => {}, 3);
    small.reset();
    for (let i = 1; i <= 5; i++) {
      x = i;
      small.check();
    }
    let undone = 0;
    while (small.undo()) undone++;
    expect([undone, x]).toEqual([3, 2]);
  });
});

describe('canonicalWorkflow', () => {
  it('makes bringing a node to the front (a click) no edit', () => {
    let w = { nodes: [{ id: 1 }, { id: 2 }], links: [[2, 2, 0, 1, 0, 'X'], [1, 1, 0, 2, 0, 'X']] } as unknown as Workflow;
    const t = new ChangeTracker<Workflow>({ take: () => structuredClone(w), restore: (s) => void (w = s) }, { canonical: canonicalWorkflow });
    w = { ...w, nodes: [w.nodes[1], w.nodes[0]] };
    expect(t.check()).toBe(false);
    w = { ...w, nodes: [...w.nodes, { id: 3 } as never] };
    expect(t.check()).toBe(true);
    t.undo();
    expect(w.nodes.map((n) => (n as { id: number }).id)).toEqual([1, 2]);
    expect((w.links as unknown[][]).map((l) => l[0])).toEqual([1, 2]);
  });
});

describe('onlyNodesGrew', () => {
  const wf = (size: number[], extra: Record<string, unknown> = {}) => ({ nodes: [{ id: 1, type: 'X', pos: [0, 0], size, ...extra }], links: [] }) as unknown as Workflow;
  it('is true for growth only, false for anything else', () => {
    expect(onlyNodesGrew(wf([200, 942]), wf([200, 978]))).toBe(true);
    expect(onlyNodesGrew(wf([200, 942]), wf([200, 900]))).toBe(false);
    expect(onlyNodesGrew(wf([200, 942]), wf([200, 978], { mode: 4 }))).toBe(false);
    expect(onlyNodesGrew(wf([200, 942]), { nodes: [], links: [] } as unknown as Workflow)).toBe(false);
  });
});

describe('watchUserEdits', () => {
  afterEach(() => vi.useRealTimers());
  it('checks once after a gesture ends, never during a drag, and on litegraph\'s after-change', () => {
    vi.useFakeTimers();
    const el = document.createElement('canvas');
    document.body.appendChild(el);
    const check = vi.fn();
    const off = watchUserEdits(el, check);
    // A listener that stops the event on the canvas, as litegraph's does, hides nothing.
    el.addEventListener('pointerup', (e) => e.stopPropagation(), true);
    el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, isPrimary: true }));
    el.dispatchEvent(new KeyboardEvent('keyup', { bubbles: true }));
    vi.runAllTimers();
    expect(check).not.toHaveBeenCalled(); // mid-drag
    el.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, isPrimary: true }));
    el.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    vi.runAllTimers();
    expect(check).toHaveBeenCalledTimes(1);
    el.dispatchEvent(new CustomEvent('litegraph:canvas', { detail: { subType: 'after-change' } }));
    vi.runAllTimers();
    expect(check).toHaveBeenCalledTimes(2);
    off();
    el.dispatchEvent(new KeyboardEvent('keyup', { bubbles: true }));
    vi.runAllTimers();
    expect(check).toHaveBeenCalledTimes(2);
  });
});
