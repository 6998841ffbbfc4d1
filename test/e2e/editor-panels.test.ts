// The editor as ComfyUI users expect it, in a real browser against the real server: the
// keybinding table (Ctrl+Alt+Enter interrupts; keys in text fields do nothing), the settings
// dialog (light theme, rebinding, saved per user through /settings), fuzzy node search, the
// queue (batch count, front items, history thumbnails), the lightbox, error messages that name
// their node once and stay inside the window, and menus without missing glyphs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dataDirWithInputs, ensureClientBuilt, launchBrowser, newStudioPage, screenshotOnFailure, startServer, type RunningServer } from './harness.ts';
import { nodes, screenPos } from './page.ts';
import {
  buildGraph,
  canvasBackground,
  cssBrightness,
  dismissToasts,
  events,
  openStudio,
  panelOpen,
  pressOnCanvas,
  pressOnPage,
  recordEvents,
  select,
  selectedIds,
  serverSettings,
  showTab,
  toastTexts,
  waitForEvent,
  watchPrompts,
} from './page-panels.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any, getComputedStyle: any, localStorage: any;

let server: RunningServer;
let browser: Browser;
let page: Page;
let prompts: any[];
const pageErrors: string[] = [];

/** Load Model → Sample (999 steps: long enough to be running when the test acts) → Preview. */
const LONG_SAMPLE = (seed = 0, control = 'fixed') => ({
  nodes: [{ type: 'LoadModel' }, { type: 'Sample', widgets: { steps: 999, seed, control_after_generate: control } }, { type: 'PreviewImage' }],
  links: [
    [0, 0, 1, 'model'],
    [1, 0, 2, 'images'],
  ] as [number, number, number, string][],
});

const pictographic = /\p{Extended_Pictographic}/u;

beforeAll(async () => {
  ensureClientBuilt();
  server = await startServer({ dataDir: dataDirWithInputs('svdiff-e2e-panels-') });
  browser = await launchBrowser();
  ({ page } = await newStudioPage(browser, pageErrors, 'keyed flow'));
  prompts = watchPrompts(page);
  await openStudio(page, server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

beforeEach((ctx) => screenshotOnFailure(ctx, () => page, 'e2e-panels-'));

describe('editor: keys', () => {
  it('toggles the panels with Q, W and N, opens the settings with Ctrl+, and ignores keys typed into text fields', async () => {
    await showTab(page, 'nodes');
    await pressOnPage(page, 'q');
    expect(await panelOpen(page, 'queue')).toBe(true);
    await pressOnPage(page, 'q');
    expect(await panelOpen(page, 'queue')).toBe(false);
    await pressOnPage(page, 'w');
    expect(await panelOpen(page, 'workflows')).toBe(true);
    await pressOnPage(page, 'n');
    expect(await panelOpen(page, 'nodes')).toBe(true);

    // The same keys typed into the node search box are just text; Ctrl+Enter and Ctrl+, too.
    const sent = prompts.length;
    await page.click('[data-testid="node-search"]');
    await page.keyboard.type('q w n .');
    await page.keyboard.press('Control+Enter');
    await page.keyboard.press('Control+,');
    await page.keyboard.press('Control+Alt+Enter');
    expect(await page.inputValue('[data-testid="node-search"]')).toBe('q w n .');
    expect(await panelOpen(page, 'nodes')).toBe(true);
    expect(await page.locator('[data-testid="settings-panel"]').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(prompts.length).toBe(sent);
    await page.fill('[data-testid="node-search"]', '');

    await pressOnPage(page, 'Control+,');
    await expect.poll(() => page.locator('[data-testid="settings-panel"]').count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid="settings-panel"]').count()).toBe(0);
    // And the button.
    await page.click('[data-testid="open-settings"]');
    expect(await page.locator('[data-testid="settings-panel"]').count()).toBe(1);
    await page.click('[data-testid="settings-close"]');
    expect(await page.locator('[data-testid="settings-panel"]').count()).toBe(0);
  });

  it('Ctrl+Alt+Enter interrupts the running prompt instead of queueing another', async () => {
    await buildGraph(page, LONG_SAMPLE());
    await recordEvents(page, ['progress', 'execution_interrupted', 'execution_success', 'execution_error']);
    const before = prompts.length;
    await pressOnCanvas(page, 'Control+Enter');
    await waitForEvent(page, 'progress', 90_000);
    expect(prompts.length).toBe(before + 1);
    await pressOnCanvas(page, 'Control+Alt+Enter');
    await waitForEvent(page, 'execution_interrupted', 30_000);
    expect((await events(page)).some((e) => e[0] === 'execution_error')).toBe(false);
    await page.waitForTimeout(500);
    expect(prompts.length).toBe(before + 1); // nothing else was queued
    const q = (await (await fetch(`${server.url}/api/queue`)).json()) as { queue_running: unknown[]; queue_pending: unknown[] };
    expect([q.queue_running.length, q.queue_pending.length]).toEqual([0, 0]);
    await expect.poll(() => toastTexts(page)).toEqual(expect.arrayContaining([expect.stringMatching(/Interrupted/)]));
  }, 150_000);

  it('fits the view, selects all, deletes, undoes and redoes, mutes, bypasses, groups, collapses and pins from the keyboard', async () => {
    const [load, scale, preview] = await buildGraph(page, {
      nodes: [{ type: 'LoadImage', widgets: { image: 'photo.png' } }, { type: 'ImageScale' }, { type: 'PreviewImage' }],
      links: [
        [0, 0, 1, 'image'],
        [1, 0, 2, 'images'],
      ],
    });
    const all = [load, scale, preview].sort((a, b) => a - b);
    const modes = () => page.evaluate(() => window.svdiff.studio.graph.nodes.map((n: any) => n.mode));

    // "." frames the graph after the view wandered off.
    await page.evaluate(() => {
      window.svdiff.studio.canvas.ds.offset = [8000, 8000];
      window.svdiff.studio.canvas.setDirty(true, true);
    });
    await pressOnCanvas(page, '.');
    const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    for (const id of all) {
      const [x, y] = await screenPos(page, id, { title: true });
      expect(x).toBeGreaterThan(box.x);
      expect(x).toBeLessThan(box.x + box.width);
      expect(y).toBeGreaterThan(box.y);
      expect(y).toBeLessThan(box.y + box.height);
    }

    // Ctrl+A with the focus outside the canvas (after a click on a sidebar button).
    await select(page, []);
    await pressOnPage(page, 'Control+a');
    expect(await selectedIds(page)).toEqual(all);

    await pressOnPage(page, 'Control+m');
    expect(await modes()).toEqual([2, 2, 2]);
    await pressOnPage(page, 'Control+m');
    expect(await modes()).toEqual([0, 0, 0]);
    await pressOnPage(page, 'Control+b');
    expect(await modes()).toEqual([4, 4, 4]);
    await pressOnPage(page, 'Control+z');
    expect(await modes()).toEqual([0, 0, 0]);
    await pressOnPage(page, 'Control+y');
    expect(await modes()).toEqual([4, 4, 4]);
    await pressOnPage(page, 'Control+z');
    await pressOnPage(page, 'Control+Shift+z');
    expect(await modes()).toEqual([4, 4, 4]);
    await pressOnPage(page, 'Control+a'); // undo and redo restore the graph, not the selection
    await pressOnPage(page, 'Control+b');
    expect(await modes()).toEqual([0, 0, 0]);

    // Ctrl+G groups the selection, Alt+C collapses it, P pins it.
    await select(page, [load, scale]);
    await pressOnCanvas(page, 'Control+g');
    await expect.poll(() => page.evaluate(() => window.svdiff.studio.graph._groups.length)).toBe(1);
    await select(page, [load, scale]);
    await pressOnCanvas(page, 'Alt+c');
    const flags = () => page.evaluate((ids: number[]) => ids.map((id) => { const n = window.svdiff.studio.graph.getNodeById(id); return [!!n.flags.collapsed, !!n.pinned]; }), [load, scale]);
    await expect.poll(flags).toEqual([[true, false], [true, false]]);
    await pressOnCanvas(page, 'Alt+c');
    await pressOnCanvas(page, 'p');
    await expect.poll(flags).toEqual([[false, true], [false, true]]);
    await pressOnCanvas(page, 'p');
    await expect.poll(flags).toEqual([[false, false], [false, false]]);

    // Delete with the focus outside the canvas; Ctrl+Z brings the node back.
    await select(page, [preview]);
    await pressOnPage(page, 'Delete');
    await expect.poll(async () => (await nodes(page)).map((n) => n.id).sort((a, b) => a - b)).toEqual([load, scale]);
    await pressOnPage(page, 'Control+z');
    await expect.poll(async () => (await nodes(page)).map((n) => n.id).sort((a, b) => a - b)).toEqual(all);
  });

  it('Ctrl+S saves the workflow and Ctrl+O opens a workflow file', async () => {
    await pressOnPage(page, 'Control+s'); // no name yet: asks (the dialog handler answers "keyed flow")
    await expect.poll(async () => ((await (await fetch(`${server.url}/api/workflows`)).text()))).toContain('keyed flow');

    const file = {
      last_node_id: 2,
      last_link_id: 0,
      nodes: [
        { id: 1, type: 'LoadImage', pos: [0, 0], size: [260, 120], mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: null }], widgets_values: ['photo.png'] },
        { id: 2, type: 'ImageGrid', pos: [320, 0], size: [260, 120], mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: null }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: null }], widgets_values: [0, 0] },
      ],
      links: [],
      groups: [],
      config: {},
      extra: {},
      version: 0.4,
    };
    const chooser = page.waitForEvent('filechooser');
    await pressOnPage(page, 'Control+o');
    await (await chooser).setFiles({ name: 'opened.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    await expect.poll(async () => (await nodes(page)).map((n) => n.type).sort()).toEqual(['ImageGrid', 'LoadImage']);
  });
});

describe('editor: settings', () => {
  it('switches to a light theme, lists and rebinds keys, and keeps both per user on the server', async () => {
    await page.click('[data-testid="open-settings"]');
    const row = (id: string) => page.locator(`[data-testid="keybinding-${id}"]`);
    expect(await row('Comfy.Interrupt').textContent()).toContain('Ctrl+Alt+Enter');
    expect(await row('Comfy.QueuePrompt').textContent()).toContain('Ctrl+Enter');
    expect(await row('Comfy.ShowSettingsDialog').textContent()).toContain('Ctrl+,');
    expect(await row('Comfy.Redo').textContent()).toContain('Ctrl+Shift+Z');
    expect(await page.locator('[data-testid^="keybinding-Comfy."], [data-testid^="keybinding-Workspace."]').count()).toBeGreaterThanOrEqual(20);

    // Light theme: the app and the canvas.
    expect(await cssBrightness(page, 'body', 'backgroundColor')).toBeLessThan(60);
    await page.click('[data-testid="settings-panel"] label:has([data-testid="theme-light"])');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await cssBrightness(page, 'body', 'backgroundColor')).toBeGreaterThan(200);
    expect(await cssBrightness(page, 'body', 'color')).toBeLessThan(80);
    expect(Math.min(...(await canvasBackground(page)))).toBeGreaterThan(200);
    await expect.poll(async () => (await serverSettings(server.url))['Comfy.ColorPalette']).toBe('light');

    // Rebind: G shows the gallery.
    await row('Workspace.ToggleSidebarTab.gallery').locator('[data-testid="keybinding-change"]').click();
    await page.keyboard.press('g');
    expect(await row('Workspace.ToggleSidebarTab.gallery').textContent()).toContain('G');
    await expect
      .poll(async () => (await serverSettings(server.url))['Comfy.Keybinding.NewBindings'])
      .toEqual([{ commandId: 'Workspace.ToggleSidebarTab.gallery', combo: { key: 'g' } }]);
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid="settings-panel"]').count()).toBe(0);
    await pressOnPage(page, 'g');
    expect(await panelOpen(page, 'gallery')).toBe(true);

    // A fresh browser profile gets the same from the server.
    await page.evaluate(() => localStorage.clear());
    await openStudio(page, server.url);
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(Math.min(...(await canvasBackground(page)))).toBeGreaterThan(200);
    await showTab(page, 'nodes');
    await pressOnPage(page, 'g');
    expect(await panelOpen(page, 'gallery')).toBe(true);

    // Reset the binding; back to dark.
    await page.click('[data-testid="open-settings"]');
    await row('Workspace.ToggleSidebarTab.gallery').locator('[data-testid="keybinding-reset"]').click();
    await page.click('[data-testid="settings-panel"] label:has([data-testid="theme-dark"])');
    await expect.poll(async () => (await serverSettings(server.url))['Comfy.Keybinding.NewBindings']).toEqual([]);
    await expect.poll(async () => (await serverSettings(server.url))['Comfy.ColorPalette']).toBe('dark');
    expect(Math.max(...(await canvasBackground(page)))).toBeLessThan(60);
    await page.keyboard.press('Escape');
    await showTab(page, 'nodes');
    await pressOnPage(page, 'g');
    expect(await panelOpen(page, 'gallery')).toBe(false);
  });
});

describe('editor: node search', () => {
  it('finds nodes fuzzily in the node library and adds the best match with Enter', async () => {
    await showTab(page, 'nodes');
    const first = () => page.locator('[data-testid="node-results"] [data-testid^="lib-node-"]').first().getAttribute('data-testid');
    await page.fill('[data-testid="node-search"]', 'sdc');
    await expect.poll(first).toBe('lib-node-SVDDecompose');
    await page.fill('[data-testid="node-search"]', 'sampel');
    await expect.poll(first).toBe('lib-node-Sample');
    await page.fill('[data-testid="node-search"]', 'load img');
    await expect.poll(first).toBe('lib-node-LoadImage');
    const count = (await nodes(page)).filter((n) => n.type === 'LoadImage').length;
    await page.press('[data-testid="node-search"]', 'Enter');
    await expect.poll(async () => (await nodes(page)).filter((n) => n.type === 'LoadImage').length).toBe(count + 1);
    await page.fill('[data-testid="node-search"]', '');
  });
});

describe('editor: queue', () => {
  it('queues the batch count with advancing seeds, labels a front item by its place, and shows history thumbnails', async () => {
    await dismissToasts(page);
    await buildGraph(page, LONG_SAMPLE(100, 'increment'));
    await recordEvents(page, ['progress', 'execution_interrupted', 'execution_success', 'execution_error']);
    await page.fill('[data-testid="batch-count"]', '3');
    const before = prompts.length;
    await page.click('[data-testid="queue"]');
    await expect.poll(() => prompts.length).toBe(before + 3);
    const seeds = prompts.slice(before).map((b) => Object.values(b.prompt as Record<string, { class_type: string; inputs: { seed: number } }>).find((n) => n.class_type === 'Sample')!.inputs.seed);
    expect(seeds).toEqual([100, 101, 102]);
    await waitForEvent(page, 'progress', 90_000);

    await showTab(page, 'queue');
    await expect.poll(() => page.locator('[data-testid="queue-place"]').allTextContents()).toEqual(['Next', '2nd in line']);
    await page.fill('[data-testid="batch-count"]', '1');
    await pressOnCanvas(page, 'Control+Shift+Enter');
    await expect.poll(() => prompts.length).toBe(before + 4);
    expect(prompts[before + 3].front).toBe(true);
    await expect.poll(() => page.locator('[data-testid="queue-place"]').allTextContents()).toEqual(['Next', '2nd in line', '3rd in line']);
    const firstRow = page.locator('[data-testid="queue-pending"]').first();
    expect(await firstRow.textContent()).toContain('front');
    expect(await page.locator('[data-testid="panel-queue"]').textContent()).not.toMatch(/#-?\d/);

    await page.click('[data-testid="queue-clear"]');
    await expect.poll(() => page.locator('[data-testid="queue-pending"]').count()).toBe(0);
    await pressOnPage(page, 'Control+Alt+Enter');
    await waitForEvent(page, 'execution_interrupted', 30_000);

    // A run that saves three 32×32 images: its history row shows them, and they open large.
    await buildGraph(page, {
      nodes: [{ type: 'LoadImages', widgets: { folder: 'a-subject' } }, { type: 'SaveImage' }],
      links: [[0, 0, 1, 'images']],
    });
    await recordEvents(page, ['execution_success', 'execution_error']);
    await page.click('[data-testid="queue"]');
    await waitForEvent(page, 'execution_success', 60_000);
    const thumbs = page.locator('[data-testid="queue-history"]').first().locator('[data-testid="queue-thumb"]');
    await expect.poll(() => thumbs.count()).toBe(3);
    await expect.poll(() => thumbs.first().evaluate((img: any) => img.naturalWidth)).toBe(32);
    await thumbs.nth(1).click();
    await expect.poll(() => page.locator('[data-testid="lightbox"]').count()).toBe(1);
    expect(await page.textContent('[data-testid="lightbox-name"]')).toMatch(/\.png$/);
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid="lightbox"]').count()).toBe(0);
  }, 180_000);
});

describe('editor: lightbox', () => {
  it('scales a small image up with crisp pixels, goes through images with ←/→ and the buttons, and closes on Escape', async () => {
    await showTab(page, 'gallery');
    await expect.poll(() => page.locator('[data-testid="gallery-image"]').count()).toBeGreaterThanOrEqual(3);
    const total = await page.locator('[data-testid="gallery-image"]').count();
    await page.locator('[data-testid="gallery-image"]').first().click();
    const img = page.locator('[data-testid="lightbox-image"]');
    await expect.poll(() => img.evaluate((el: any) => el.naturalWidth)).toBe(32);
    await expect.poll(async () => (await img.boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(320);
    expect(await img.evaluate((el: any) => getComputedStyle(el).imageRendering)).toBe('pixelated');
    const box = (await img.boundingBox())!;
    expect(box.height).toBeLessThanOrEqual(860);
    expect(box.width).toBeLessThanOrEqual(1400);

    const name = () => page.textContent('[data-testid="lightbox-name"]');
    const names = [await name()];
    await page.keyboard.press('ArrowRight');
    await expect.poll(name).not.toBe(names[0]);
    names.push(await name());
    await page.click('[data-testid="lightbox-next"]');
    await expect.poll(name).not.toBe(names[1]);
    names.push(await name());
    await page.click('[data-testid="lightbox-prev"]');
    expect(await name()).toBe(names[1]);
    await page.keyboard.press('ArrowLeft');
    expect(await name()).toBe(names[0]);
    await page.keyboard.press('ArrowLeft'); // wraps to the last
    expect(await page.locator('[data-testid="lightbox"]').textContent()).toContain(`${total} / ${total}`);
    // Escape closes the lightbox and nothing else (the gallery stays open).
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid="lightbox"]').count()).toBe(0);
    expect(await panelOpen(page, 'gallery')).toBe(true);
  });
});

describe('editor: messages', () => {
  it('names the failing node once in every error message', async () => {
    await dismissToasts(page);
    // Runtime error about an input (the server labels it with the node).
    await buildGraph(page, {
      nodes: [{ type: 'LoadImage', widgets: { image: 'photo.png' } }, { type: 'ImageCrop', widgets: { width: 16, height: 16, x: 500 } }, { type: 'PreviewImage' }],
      links: [
        [0, 0, 1, 'image'],
        [1, 0, 2, 'images'],
      ],
    });
    await pressOnCanvas(page, 'Control+Enter');
    await expect.poll(async () => (await toastTexts(page)).find((t) => /ImageCrop/.test(t)) ?? '', { timeout: 30_000 }).toMatch(/ImageCrop/);
    const runtime = (await toastTexts(page)).find((t) => /ImageCrop/.test(t))!;
    expect(runtime.match(/node #\d+/gi)).toHaveLength(1);
    expect(runtime.match(/ImageCrop/g)).toHaveLength(1);

    // A rejected prompt (the crop's image input unlinked).
    await dismissToasts(page);
    await buildGraph(page, {
      nodes: [{ type: 'ImageCrop' }, { type: 'PreviewImage' }],
      links: [[0, 0, 1, 'images']],
    });
    await pressOnCanvas(page, 'Control+Enter');
    await expect.poll(async () => (await toastTexts(page)).find((t) => /rejected/.test(t)) ?? '', { timeout: 30_000 }).toMatch(/ImageCrop/);
    const rejected = (await toastTexts(page)).find((t) => /rejected/.test(t))!;
    expect(rejected.match(/node #\d+/gi)).toHaveLength(1);
    expect(rejected.match(/ImageCrop/g)).toHaveLength(1);
  });

  it('wraps a long message and caps its height inside the window', async () => {
    await dismissToasts(page);
    const long = `${'a-very-long-file-name-without-any-spaces-'.repeat(20)}.png`;
    await buildGraph(page, { nodes: [{ type: 'LoadImage', widgets: { image: long } }, { type: 'PreviewImage' }], links: [[0, 0, 1, 'images']] });
    await pressOnCanvas(page, 'Control+Enter');
    const toast = page.locator('[data-testid="toast"]', { hasText: 'a-very-long-file-name' }).first();
    await expect.poll(() => toast.count(), { timeout: 30_000 }).toBe(1);
    const box = (await toast.boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    expect(box.height).toBeLessThanOrEqual(viewport.height * 0.34 + 1);
    // Everything is there to read: it wraps inside the box, or scrolls.
    const fit = await toast.evaluate((el: any) => ({ sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight, y: getComputedStyle(el).overflowY }));
    expect(fit.sw).toBeLessThanOrEqual(fit.cw + 1);
    if (fit.sh > fit.ch) expect(fit.y).toBe('auto');
  });
});

describe('editor: glyphs', () => {
  it('shows no emoji that the fonts may lack (the menus’ “🆕”)', async () => {
    const [a, b] = await buildGraph(page, {
      nodes: [{ type: 'LoadImage', widgets: { image: 'photo.png' } }, { type: 'PreviewImage' }],
      links: [[0, 0, 1, 'images']],
    });
    const menuTexts = () => page.locator('.litecontextmenu .litemenu-entry').allTextContents();
    // A node's menu.
    const [x, y] = await screenPos(page, a, { title: true });
    await page.mouse.click(x, y, { button: 'right' });
    await expect.poll(async () => (await menuTexts()).length).toBeGreaterThan(0);
    expect((await menuTexts()).filter((t) => pictographic.test(t))).toEqual([]);
    await page.keyboard.press('Escape');
    await page.mouse.click(5, 500);
    // The canvas menu with several nodes selected.
    await select(page, [a, b]);
    // On empty canvas (the minimap and zoom buttons sit at the bottom right).
    const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    const spots: [number, number][] = [[box.x + 30, box.y + box.height / 2], [box.x + 30, box.y + 80], [box.x + box.width / 2, box.y + 80]];
    const empty = await page.evaluate((spots: [number, number][]) => spots.find(([x, y]) => !window.svdiff.studio.nodeAt(x, y)), spots);
    await page.mouse.click(empty![0], empty![1], { button: 'right' });
    await expect.poll(async () => (await menuTexts()).length).toBeGreaterThan(0);
    expect((await menuTexts()).filter((t) => pictographic.test(t))).toEqual([]);
    await page.mouse.click(5, 500);
    // The whole page.
    expect(pictographic.test(await page.evaluate(() => document.body.innerText))).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
