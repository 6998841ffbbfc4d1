// Page helpers for the canvas editor tests (editor-canvas.test.ts): an empty graph, nodes
// placed in graph coordinates, graph ↔ screen mapping, pixels of the canvas's backing store,
// litegraph's context menus, link drags released on the empty canvas, and device scale
// factor changes (as when the window moves to another screen).
import type { BrowserContext, Page } from 'playwright-core';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any;

export async function openCanvasStudio(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => window.svdiff?.studio !== undefined);
  await page.waitForSelector('[data-testid^="lib-node-"]');
  // A first visit opens an example workflow once the templates are listed: let it land
  // before a test replaces the graph (there may be none: then after a few seconds).
  await page.waitForFunction(() => window.svdiff.studio.graph.nodes.length > 0, undefined, { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(300);
}

/** Replaces the graph with an empty one at zoom 1, offset 0 (no workflow store involved). */
export async function emptyGraph(page: Page): Promise<void> {
  await page.evaluate(() => {
    const s = window.svdiff.studio;
    s.load({ last_node_id: 0, last_link_id: 0, nodes: [], links: [], groups: [], config: {}, extra: { ds: { scale: 1, offset: [0, 0] } }, version: 0.4 });
    s.canvas.deselectAll();
    s.canvas.draw(true, true);
  });
}

/** Adds a node with its body's top-left at graph point `pos`; returns its id. */
export function addNodeAt(page: Page, type: string, pos: [number, number]): Promise<number> {
  return page.evaluate(
    ([type, pos]) => {
      const s = window.svdiff.studio;
      const n = s.addNode(type, [0, 0]);
      n.pos = [pos[0], pos[1]];
      s.canvas.deselectAll();
      // Draw now: litegraph hit-tests against the nodes its last frame found visible, and the
      // next animation frame may come after the test's next click.
      s.canvas.draw(true, true);
      return n.id as number;
    },
    [type, pos] as const,
  );
}

/** Page (client) coordinates of a graph point. */
export function toScreen(page: Page, g: [number, number]): Promise<[number, number]> {
  return page.evaluate((g) => {
    const s = window.svdiff.studio;
    const r = s.canvas.canvas.getBoundingClientRect();
    const { scale, offset } = s.canvas.ds;
    return [(g[0] + offset[0]) * scale + r.left, (g[1] + offset[1]) * scale + r.top] as [number, number];
  }, g);
}

/** Graph coordinates of a page point. */
export function toGraph(page: Page, p: [number, number]): Promise<[number, number]> {
  return page.evaluate((p) => window.svdiff.studio.toCanvas(p[0], p[1]) as [number, number], p);
}

export interface NodeGeometry {
  pos: [number, number];
  size: [number, number];
  title: string;
  collapsed: boolean;
  pinned: boolean;
}

export function nodeGeometry(page: Page, id: number): Promise<NodeGeometry> {
  return page.evaluate((id) => {
    const n = window.svdiff.studio.graph.getNodeById(id);
    return { pos: [n.pos[0], n.pos[1]], size: [n.size[0], n.size[1]], title: n.title, collapsed: !!n.flags.collapsed, pinned: !!n.pinned } as never;
  }, id);
}

/** The canvas's backing store and CSS sizes, the page's devicePixelRatio, and the context's scale. */
export function canvasMetrics(page: Page): Promise<{ dpr: number; width: number; height: number; cssWidth: number; cssHeight: number }> {
  return page.evaluate(() => {
    const c = window.svdiff.studio.canvas.canvas;
    const r = c.getBoundingClientRect();
    return { dpr: window.devicePixelRatio, width: c.width, height: c.height, cssWidth: r.width, cssHeight: r.height };
  });
}

/** RGB of the canvas's backing-store pixel under page point `p`, after the next frame. */
export async function canvasPixel(page: Page, p: [number, number]): Promise<[number, number, number]> {
  return page.evaluate(async (p) => {
    const s = window.svdiff.studio;
    s.canvas.draw(true, true);
    const c = s.canvas.canvas;
    const r = c.getBoundingClientRect();
    const x = Math.floor(((p[0] - r.left) * c.width) / r.width);
    const y = Math.floor(((p[1] - r.top) * c.height) / r.height);
    const d = c.getContext('2d').getImageData(x, y, 1, 1).data;
    return [d[0], d[1], d[2]] as [number, number, number];
  }, p);
}

/** The entries of the context menu opened last (litegraph's nested menus each add one). */
export async function menuEntries(page: Page): Promise<string[]> {
  const menus = page.locator('.litecontextmenu');
  await menus.last().waitFor();
  return (await menus.last().locator('.litemenu-entry').allTextContents()).map((t) => t.trim()).filter(Boolean);
}

/** Clicks the entry of the last context menu whose text is exactly `text`. */
export async function clickMenu(page: Page, text: string): Promise<void> {
  const menus = page.locator('.litecontextmenu');
  await menus.last().waitFor();
  const entry = menus.last().locator('.litemenu-entry').filter({ hasText: new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) });
  await entry.first().click();
}

export async function closeMenus(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelectorAll('.litecontextmenu').forEach((m: any) => m.close?.() ?? m.remove()));
}

/** Drags from `from` and releases at `to` on the canvas (with Shift held when `shift`). */
export async function releaseLink(page: Page, from: [number, number], to: [number, number], shift = false): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / 8, from[1] + ((to[1] - from[1]) * i) / 8);
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.up();
  if (shift) await page.keyboard.up('Shift');
}

/** Changes the page's device scale factor as moving the window to another screen would. */
export async function setDeviceScaleFactor(context: BrowserContext, page: Page, dsf: number): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const { width, height } = page.viewportSize()!;
  await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: dsf, mobile: false });
  await page.waitForFunction((d) => window.devicePixelRatio === d, dsf);
}

/** Links as [origin id, origin slot, target id, target slot]. */
export function links(page: Page): Promise<[number, number, number, number][]> {
  return page.evaluate(() => {
    const out: [number, number, number, number][] = [];
    for (const l of window.svdiff.studio.graph._links.values()) out.push([l.origin_id, l.origin_slot, l.target_id, l.target_slot]);
    return out;
  });
}

/**
 * A double-click litegraph recognises: its CanvasPointer wants the two presses at least 1 ms
 * apart (Playwright's dblclick can send both in the same millisecond).
 */
export async function dblclickAt(page: Page, p: [number, number]): Promise<void> {
  await page.mouse.click(p[0], p[1]);
  await page.waitForTimeout(30);
  await page.mouse.click(p[0], p[1], { clickCount: 2 });
}

/** Waits long enough that the next click is not taken for the second half of a double-click. */
export function notADoubleClick(page: Page): Promise<void> {
  return page.waitForTimeout(400);
}

/** Waits until the element matching `selector` has the keyboard focus (where typed keys go). */
export async function focused(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((sel) => document.activeElement?.matches?.(sel) === true, selector, { timeout: 5000 });
}
