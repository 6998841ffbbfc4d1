// Page helpers for the change-model, tabs and templates tests (editor-changes.test.ts): where a
// widget's arrows, a node's resize corner and canvas points are on screen, litegraph's context
// menus, the workflow tabs, and read-only probes of the tracker and the workflows store.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenPos } from './page.ts';
import { toScreen } from './page-canvas.ts';

export { toScreen };

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any, requestAnimationFrame: any;

export interface Opened {
  context: BrowserContext;
  page: Page;
  /** Messages of every dialog the page opened (each is answered by `answer`). */
  dialogs: { type: string; message: string; defaultValue: string }[];
  /** Page errors and console errors. */
  errors: string[];
}

/**
 * A fresh browser context (empty localStorage: a first visit) on the studio, waiting until the
 * canvas and the node library are ready. `answer` answers prompts (a string) and confirms.
 */
export async function openFresh(
  browser: Browser,
  url: string,
  o: { dpr?: number; viewport?: { width: number; height: number }; answer?: (d: { type: string; message: string; defaultValue: string }) => string | boolean } = {},
): Promise<Opened> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1400, height: 860 }, deviceScaleFactor: o.dpr ?? 1 });
  const page = await context.newPage();
  const dialogs: Opened['dialogs'] = [];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('dialog', (d) => {
    const info = { type: d.type(), message: d.message(), defaultValue: d.defaultValue() };
    dialogs.push(info);
    const a = o.answer ? o.answer(info) : true;
    void (a === false ? d.dismiss() : d.accept(typeof a === 'string' ? a : undefined));
  });
  await page.goto(url);
  await ready(page);
  return { context, page, dialogs, errors };
}

/** Waits for the studio after a (re)load: the canvas and an open tab (tabs open once the node types are known). */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => window.svdiff?.studio !== undefined);
  await page.waitForSelector('[data-testid="workflow-tab"]');
  await settle(page);
}

/** Lets the checks that follow a gesture (a task after the event) and a frame run. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30))));
}

/** The workflows store (Pinia) of the page, for read-only probes inside evaluate callbacks. */
export const STORE = `document.querySelector('#app').__vue_app__.config.globalProperties.$pinia._s.get('workflows')`;

/** The graph as the tracker compares it (no view; nodes and links in id order, no execution order), as a string. */
export function graphKey(page: Page): Promise<string> {
  return page.evaluate(() => {
    const w = window.svdiff.studio.serialize();
    const { ds: _ds, ...extra } = w.extra ?? {};
    const id = (x: any) => (Array.isArray(x) ? x[0] : x.id);
    const nodes = [...w.nodes].sort((a, b) => id(a) - id(b)).map(({ order: _o, ...n }: any) => n);
    return JSON.stringify({ ...w, nodes, links: [...w.links].sort((a, b) => id(a) - id(b)), extra });
  });
}

/** Undo steps recorded, redo steps waiting, and whether the document counts as changed. */
export function tracker(page: Page): Promise<{ undo: number; redo: number; dirty: boolean }> {
  return page.evaluate(() => {
    const t = window.svdiff.studio.tracker;
    const h = t.history();
    return { undo: h.undo.length, redo: h.redo.length, dirty: t.dirty };
  });
}

export interface NodeState {
  id: number;
  type: string;
  title: string;
  pos: [number, number];
  size: [number, number];
  mode: number;
  color: string | null;
  widgets: Record<string, unknown>;
  linkedInputs: string[];
}

export function nodeStates(page: Page): Promise<NodeState[]> {
  return page.evaluate(() =>
    window.svdiff.studio.graph.nodes.map((n: any) => ({
      id: n.id,
      type: n.type,
      title: n.title,
      pos: [Math.round(n.pos[0]), Math.round(n.pos[1])],
      size: [Math.round(n.size[0]), Math.round(n.size[1])],
      mode: n.mode,
      color: n.color ?? null,
      widgets: Object.fromEntries((n.widgets ?? []).map((w: any) => [w.name, w.value])),
      linkedInputs: (n.inputs ?? []).filter((i: any) => i.link != null).map((i: any) => i.name),
    })),
  );
}

/** Screen position of a widget's decrement arrow, value or increment arrow. */
export async function widgetPoint(page: Page, id: number, widget: string, part: 'dec' | 'value' | 'inc'): Promise<[number, number]> {
  const p = await page.evaluate(
    ([id, widget, part]) => {
      const n = window.svdiff.studio.graph.getNodeById(id);
      const w = n.widgets.find((x: any) => x.name === widget);
      if (!w) throw new Error(`node ${id} has no widget ${widget}`);
      const x = part === 'dec' ? 22 : part === 'inc' ? n.size[0] - 22 : n.size[0] / 2;
      return [n.pos[0] + x, n.pos[1] + w.y + 10] as [number, number];
    },
    [id, widget, part] as const,
  );
  return toScreen(page, p);
}

/** Screen position just inside a node's bottom-right corner (its resize handle). */
export async function cornerPoint(page: Page, id: number): Promise<[number, number]> {
  const p = await page.evaluate((id) => {
    const n = window.svdiff.studio.graph.getNodeById(id);
    return [n.pos[0] + n.size[0] - 4, n.pos[1] + n.size[1] - 4] as [number, number];
  }, id);
  return toScreen(page, p);
}

/** Screen position of a node's title bar. */
export function titlePoint(page: Page, id: number): Promise<[number, number]> {
  return screenPos(page, id, { title: true });
}

/** A point of the canvas away from every node and group (for canvas menus and clearing the selection). */
export async function emptyPoint(page: Page): Promise<[number, number]> {
  const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
  for (const fx of [0.05, 0.95, 0.5]) {
    for (const fy of [0.95, 0.1, 0.5]) {
      const at: [number, number] = [box.x + box.width * fx, box.y + box.height * fy];
      // Nothing on top there (the minimap, a panel) and no node under it.
      const free = await page.evaluate((at) => {
        const s = window.svdiff.studio;
        const [x, y] = s.toCanvas(at[0], at[1]);
        return document.elementFromPoint(at[0], at[1])?.getAttribute('data-testid') === 'canvas' && !s.nodeAt(at[0], at[1]) && !s.graph.getGroupOnPos(x, y);
      }, at);
      if (free) return at;
    }
  }
  throw new Error('no empty spot on the canvas');
}

/** Right-clicks at a screen point and follows litegraph's context menu entries by their text. */
export async function menu(page: Page, at: [number, number], path: string[]): Promise<void> {
  await page.mouse.click(at[0], at[1], { button: 'right' });
  for (const entry of path) {
    const item = page.locator('.litecontextmenu .litemenu-entry').filter({ hasText: new RegExp(`^\\s*${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).last();
    await item.waitFor();
    await item.click();
  }
}

/** Texts of litegraph's open context menu entries (empty when none is open). */
export function menuEntries(page: Page): Promise<string[]> {
  return page.locator('.litecontextmenu .litemenu-entry').allTextContents();
}

export interface TabInfo {
  title: string;
  dirty: boolean;
  active: boolean;
}

/** The workflow tabs above the canvas, as shown. */
export function tabs(page: Page): Promise<TabInfo[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="workflow-tab"]')].map((t: any) => ({
      title: t.querySelector('[data-testid="workflow-tab-title"]').textContent.trim(),
      dirty: !!t.querySelector('[data-testid="workflow-tab-dirty"]'),
      active: t.getAttribute('aria-selected') === 'true',
    })),
  );
}

/** Clicks the tab whose title is `title`. */
export async function clickTab(page: Page, title: string): Promise<void> {
  await page.locator('[data-testid="workflow-tab"]').filter({ has: page.locator('[data-testid="workflow-tab-title"]', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).click();
  await settle(page);
}

/** The canvas view (pan and zoom). */
export function view(page: Page): Promise<{ scale: number; offset: [number, number] }> {
  return page.evaluate(() => {
    const ds = window.svdiff.studio.canvas.ds;
    return { scale: ds.scale, offset: [ds.offset[0], ds.offset[1]] as [number, number] };
  });
}

/** Opens a sidebar tab (a click on the open tab would close it). */
export async function showPanel(page: Page, id: string): Promise<void> {
  if ((await page.locator(`[data-testid="panel-${id}"]`).count()) === 0) await page.click(`[data-testid="tab-${id}"]`);
}

/** Opens a template from the Templates panel and waits until its tab is shown. */
export async function openTemplate(page: Page, name: string): Promise<void> {
  await showPanel(page, 'templates');
  const before = (await tabs(page)).length;
  await page.click(`[data-testid="template-${name}"] .grow`);
  await page.waitForFunction(
    ([n, t]) => window.svdiff.studio.graph.nodes.length > 0 && document.querySelector('[aria-selected="true"] [data-testid="workflow-tab-title"]')?.textContent.includes(`${t} (template)`) && document.querySelectorAll('[data-testid="workflow-tab"]').length >= n,
    [before, name] as const,
  );
  await settle(page);
}

/** Paths where two JSON texts differ (a readable failure message for graph comparisons). */
export function jsonDiff(a: string, b: string): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (out.length > 20) return;
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
    } else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${path}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  };
  walk(JSON.parse(a), JSON.parse(b), '');
  return out;
}
