// The canvas editor's logic that needs no real browser: node categories (the Add Node menu),
// the S&R property, backing-store sizes and ratio changes, minimap geometry, the title editor
// and the search box's filtering and keys.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LGraph, LiteGraph } from '@comfyorg/litegraph';
import { DEFS } from '../test/defs.ts';
import { registerNodeTypes } from './registerNodes.ts';
import { SR_PROPERTY, type NodeEnv } from './nodeClass.ts';
import { backingSize, backingStale, fitCanvas, onPixelRatioChange } from './hidpi.ts';
import { fromMinimap, minimapLayout, toMinimap, unionRects } from './minimap.ts';
import { closeTitleEditor, openTitleEditor } from './titleEditor.ts';
import { closeSearchBox, openSearchBox } from './searchBox.ts';
import { setSearchDefs } from './nodeSearch.ts';

const env: NodeEnv = { inputImageUrl: (n) => n, requestUpload: () => {}, defaultControl: () => 'fixed', showInputImage: () => {} };

beforeAll(() => {
  registerNodeTypes(DEFS, env);
  setSearchDefs(DEFS);
});

describe('node types on the canvas', () => {
  it('keep their categories, so the Add Node menu lists them', () => {
    // registerNodeType derives categories from "category/Type" names and would leave "".
    expect(LiteGraph.getNodeTypesCategories().filter(Boolean).sort()).toEqual(['image', 'latent']);
    expect(LiteGraph.getNodeTypesInCategory('image').map((c) => c.type).sort()).toEqual(['Blend', 'LoadImage', 'SaveImage']);
    // Registering again (node definitions reloaded) keeps them too.
    registerNodeTypes(DEFS, env);
    expect(LiteGraph.getNodeTypesInCategory('latent').map((c) => c.type)).toEqual(['Noise']);
  });

  it('carry ComfyUI’s "Node name for S&R" property, saved and restored', () => {
    const graph = new LGraph();
    const n = LiteGraph.createNode('Noise')!;
    graph.add(n);
    expect(n.properties).toEqual({ [SR_PROPERTY]: 'Noise' });
    const saved = graph.serialize() as unknown as { nodes: { properties: unknown }[] };
    expect(saved.nodes[0].properties).toEqual({ [SR_PROPERTY]: 'Noise' });
    // An older workflow without properties still gets it.
    const old = { ...saved, nodes: saved.nodes.map((x) => ({ ...x, properties: {} })) };
    const g2 = new LGraph();
    g2.configure(old as never);
    expect(g2.nodes[0].properties).toEqual({ [SR_PROPERTY]: 'Noise' });
  });
});

describe('HiDPI backing store', () => {
  it('is the CSS size times the device pixel ratio, at least 1×1', () => {
    expect(backingSize(1056, 786, 1)).toEqual([1056, 786]);
    expect(backingSize(1056, 786, 2)).toEqual([2112, 1572]);
    expect(backingSize(1056, 785, 1.5)).toEqual([1584, 1178]);
    expect(backingSize(0, 0, 2)).toEqual([1, 1]);
    expect(backingSize(100, 50, 0)).toEqual([100, 50]);
    expect(backingSize(100, 50, Number.NaN)).toEqual([100, 50]);
  });

  it('fits a canvas and notices when the ratio no longer matches', () => {
    const c = document.createElement('canvas');
    expect(fitCanvas(c, 300, 200, 2)).toBe(true);
    expect([c.width, c.height, c.style.width, c.style.height]).toEqual([600, 400, '300px', '200px']);
    expect(fitCanvas(c, 300, 200, 2)).toBe(false);
    expect(backingStale(c, 2)).toBe(false);
    expect(backingStale(c, 1.5)).toBe(true);
  });

  it('reports devicePixelRatio changes, re-arming a resolution query for each new ratio', () => {
    const queries: { media: string; listeners: Set<() => void> }[] = [];
    const matchMedia = vi.fn((media: string) => {
      const q = { media, listeners: new Set<() => void>() };
      queries.push(q);
      return { media, addEventListener: (_: string, fn: () => void) => q.listeners.add(fn), removeEventListener: (_: string, fn: () => void) => q.listeners.delete(fn) };
    });
    const saved = { matchMedia: window.matchMedia, ratio: window.devicePixelRatio };
    Object.assign(window, { matchMedia });
    Object.defineProperty(window, 'devicePixelRatio', { value: 1, configurable: true });
    try {
      const seen: number[] = [];
      const off = onPixelRatioChange(() => seen.push(window.devicePixelRatio));
      expect(queries.map((q) => q.media)).toEqual(['(resolution: 1dppx)']);
      Object.defineProperty(window, 'devicePixelRatio', { value: 2, configurable: true });
      for (const fn of [...queries[0].listeners]) fn();
      expect(seen).toEqual([2]);
      expect(queries[0].listeners.size).toBe(0);
      expect(queries[1].media).toBe('(resolution: 2dppx)');
      off();
      expect(queries[1].listeners.size).toBe(0);
    } finally {
      Object.assign(window, { matchMedia: saved.matchMedia });
      Object.defineProperty(window, 'devicePixelRatio', { value: saved.ratio, configurable: true });
    }
  });
});

describe('minimap geometry', () => {
  it('unites rectangles', () => {
    expect(unionRects([])).toBeUndefined();
    expect(unionRects([[0, 0, 10, 10], new Float32Array([20, -5, 5, 5])])).toEqual([0, -5, 25, 15]);
  });

  it('fits the content with a margin, centred, and maps both ways', () => {
    const l = minimapLayout([0, 0, 1000, 200], 220, 150, 0);
    expect(l.scale).toBeCloseTo(0.22);
    // Wide content: full width, centred vertically.
    expect(toMinimap(l, 0, 0)[0]).toBeCloseTo(0);
    expect(toMinimap(l, 1000, 0)[0]).toBeCloseTo(220);
    expect(toMinimap(l, 500, 100)[1]).toBeCloseTo(75);
    const p = fromMinimap(l, ...toMinimap(l, 123, 45));
    expect(p[0]).toBeCloseTo(123);
    expect(p[1]).toBeCloseTo(45);
    const m = minimapLayout([0, 0, 100, 100], 200, 200, 50);
    expect(m.scale).toBeCloseTo(1);
    expect(toMinimap(m, 0, 0)).toEqual([50, 50]);
  });
});

describe('title editor', () => {
  afterEach(() => closeTitleEditor(false));
  const open = (commit: (t: string) => void) => openTitleEditor({ rect: { left: 10, top: 20, width: 200, height: 30 }, fontPx: 14, value: 'Sample', commit });
  const key = (el: HTMLElement, k: string) => el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));

  it('lies over the title and commits a trimmed new title on Enter', () => {
    const commit = vi.fn();
    const input = open(commit);
    expect([input.style.left, input.style.top, input.style.width, input.value]).toEqual(['10px', '20px', '200px', 'Sample']);
    input.value = '  Sampler A ';
    key(input, 'Enter');
    expect(commit).toHaveBeenCalledWith('Sampler A');
    expect(document.querySelector('.svdiff-title-editor')).toBeNull();
  });

  it('cancels on Escape, ignores empty or unchanged titles, commits on leaving', () => {
    const commit = vi.fn();
    let input = open(commit);
    input.value = 'X';
    key(input, 'Escape');
    input = open(commit);
    input.value = '   ';
    key(input, 'Enter');
    input = open(commit);
    key(input, 'Enter');
    expect(commit).not.toHaveBeenCalled();
    input = open(commit);
    input.value = 'Y';
    input.dispatchEvent(new Event('blur'));
    expect(commit).toHaveBeenCalledWith('Y');
  });
});

describe('search box', () => {
  afterEach(() => closeSearchBox());
  const types = () => [...document.querySelectorAll<HTMLElement>('.svdiff-search .lite-search-item')].map((e) => e.dataset.type);
  const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));

  it('lists only node types a released link fits, and picks with the keys', () => {
    const picked: string[] = [];
    const box = openSearchBox({ clientX: 100, clientY: 80, inputType: 'IMAGE', onPick: (t) => picked.push(t) });
    expect(types().sort()).toEqual(['Blend', 'SaveImage']);
    expect(box.el.querySelector('[data-testid="canvas-search-type"]')?.textContent).toBe('IMAGE →');
    expect([box.el.style.left, box.el.style.top]).toEqual(['80px', '62px']);
    const input = box.el.querySelector('input')!;
    key(input, 'ArrowDown');
    const second = types()[1];
    key(input, 'Enter');
    expect(picked).toEqual([second]);
    expect(document.querySelector('.svdiff-search')).toBeNull();
  });

  it('filters by output type for a link from an input; Escape and a press outside close it', () => {
    const onClose = vi.fn();
    const box = openSearchBox({ clientX: 10, clientY: 10, outputType: 'LATENT', onPick: () => {}, onClose });
    expect(types()).toEqual(['Noise']);
    key(box.el.querySelector('input')!, 'Escape');
    expect(onClose).toHaveBeenCalledTimes(1);
    openSearchBox({ clientX: 10, clientY: 10, onPick: () => {}, onClose });
    expect(types()).toHaveLength(Object.keys(DEFS).length);
    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    expect(onClose).toHaveBeenCalledTimes(2);
    expect(document.querySelector('.svdiff-search')).toBeNull();
  });

  it('narrows the list as the user types', () => {
    const box = openSearchBox({ clientX: 10, clientY: 10, onPick: () => {} });
    const input = box.el.querySelector('input')!;
    input.value = 'save';
    input.dispatchEvent(new Event('input'));
    expect(types()[0]).toBe('SaveImage');
    input.value = 'zzzzqqq';
    input.dispatchEvent(new Event('input'));
    expect(types()).toEqual([]);
    expect(box.el.querySelector('.svdiff-search-empty')).not.toBeNull();
  });
});
