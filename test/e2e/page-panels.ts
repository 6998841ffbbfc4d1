// Helpers for the editor tests (keys, settings, search, queue, lightbox, messages): build a
// graph on the page's canvas, watch the socket's events and the prompts sent, read toasts.
import type { Page } from 'playwright-core';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any, getComputedStyle: any;

export interface GraphSpec {
  /** Node types in order; their ids on the canvas come back in the same order. */
  nodes: { type: string; widgets?: Record<string, unknown>; pos?: [number, number] }[];
  /** [from node index, output slot, to node index, input name]. */
  links: [number, number, number, string][];
}

/** Opens the studio and waits until the canvas and the node library are ready. */
export async function openStudio(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => window.svdiff?.studio !== undefined);
  await page.waitForFunction(() => document.querySelector('[data-testid="panel-nodes"]') === null || document.querySelector('[data-testid^="lib-node-"]') !== null);
}

/** Replaces the canvas with a new graph built as a user would wire it; returns the node ids. */
export function buildGraph(page: Page, spec: GraphSpec): Promise<number[]> {
  return page.evaluate((spec: GraphSpec) => {
    const s = window.svdiff.studio;
    s.graph.clear();
    const made = spec.nodes.map((n, i) => {
      const node = s.addNode(n.type, n.pos ?? [80 + i * 320, 120]);
      if (!node) throw new Error(`no node type ${n.type}`);
      for (const [name, value] of Object.entries(n.widgets ?? {})) {
        const w = node.widgets.find((x: any) => x.name === name);
        if (!w) throw new Error(`${n.type} has no widget ${name}`);
        w.value = value;
      }
      return node;
    });
    for (const [from, slot, to, input] of spec.links) {
      const target = made[to];
      const index = target.inputs.findIndex((x: any) => x.name === input);
      if (index < 0) throw new Error(`${target.type} has no input ${input}`);
      made[from].connect(slot, target, index);
    }
    s.canvas.deselectAll();
    s.fitView();
    s.tracker.check();
    return made.map((n: any) => n.id);
  }, spec);
}

/** Starts recording socket events of these types on the page (read them with `events`). */
export function recordEvents(page: Page, types: string[]): Promise<void> {
  return page.evaluate((types: string[]) => {
    window.events = [];
    for (const t of types) window.svdiff.api.on(t, (d: unknown) => window.events.push([t, d]));
  }, types);
}

export function events(page: Page): Promise<[string, any][]> {
  return page.evaluate(() => window.events);
}

export async function waitForEvent(page: Page, type: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction((t: string) => window.events.some((e: [string]) => e[0] === t), type, { timeout, polling: 100 });
}

/** Bodies of the prompts this page posts from now on. */
export function watchPrompts(page: Page): any[] {
  const bodies: any[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/prompt$/.test(r.url())) bodies.push(JSON.parse(r.postData() ?? '{}'));
  });
  return bodies;
}

export function toastTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="toast"]').allTextContents();
}

export async function dismissToasts(page: Page): Promise<void> {
  await page.evaluate(() => window.svdiff && document.querySelectorAll('[data-testid="toast"]').forEach((t: any) => t.click()));
}

/** Whether a sidebar panel is open. */
export async function panelOpen(page: Page, id: string): Promise<boolean> {
  return (await page.locator(`[data-testid="panel-${id}"]`).count()) > 0;
}

/** Opens a sidebar tab (a click on the open tab would close it). */
export async function showTab(page: Page, id: string): Promise<void> {
  if (!(await panelOpen(page, id))) await page.click(`[data-testid="tab-${id}"]`);
}

/** Presses keys with nothing focused but the page (no text field, not the canvas). */
export async function pressOnPage(page: Page, keys: string): Promise<void> {
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press(keys);
}

/** Presses keys with the canvas focused (as after a click on it). */
export async function pressOnCanvas(page: Page, keys: string): Promise<void> {
  await page.focus('[data-testid="canvas"]');
  await page.keyboard.press(keys);
}

/** Selects nodes by id on the canvas. */
export function select(page: Page, ids: number[]): Promise<void> {
  return page.evaluate((ids: number[]) => {
    const s = window.svdiff.studio;
    s.canvas.deselectAll();
    for (const id of ids) s.canvas.select(s.graph.getNodeById(id));
    s.canvas.setDirty(true, true);
  }, ids);
}

export function selectedIds(page: Page): Promise<number[]> {
  return page.evaluate(() => Object.keys(window.svdiff.studio.canvas.selected_nodes).map(Number).sort((a: number, b: number) => a - b));
}

/** The most common colour (r, g, b) of the canvas in a patch near its bottom-left corner (empty there; grid lines are the minority). */
export function canvasBackground(page: Page): Promise<[number, number, number]> {
  return page.evaluate(() => {
    const s = window.svdiff.studio;
    s.canvas.draw(true, true);
    const el = s.canvas.canvas;
    const d = el.getContext('2d').getImageData(2, el.height - 42, 40, 40).data;
    const counts = new Map<string, number>();
    for (let i = 0; i < d.length; i += 4) {
      const k = `${d[i]},${d[i + 1]},${d[i + 2]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    return top.split(',').map(Number) as [number, number, number];
  });
}

/** Relative luminance-ish brightness 0…255 of a CSS colour of an element. */
export function cssBrightness(page: Page, selector: string, property: string): Promise<number> {
  return page.evaluate(
    ([selector, property]) => {
      const c = getComputedStyle(document.querySelector(selector))[property] as string;
      const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number);
      return 0.299 * r + 0.587 * g + 0.114 * b;
    },
    [selector, property] as const,
  );
}

/** The user's settings file on the server, as ComfyUI's frontend reads it. */
export async function serverSettings(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/api/settings`)).json()) as Record<string, unknown>;
}
