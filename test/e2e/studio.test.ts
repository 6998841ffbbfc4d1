// The studio in a real browser against the real server: build a graph with the mouse,
// queue it, watch progress and the image arrive, save/reload/open, restore a graph from a
// saved PNG, and see a failing node's error. Screenshots of failures go to test-results/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dataDirWithInputs, ensureClientBuilt, launchBrowser, newStudioPage, screenshotOnFailure, startServer, testPng, type RunningServer } from './harness.ts';
import { connect, dragFromLibrary, dropFile, nodeOfType, nodes, screenPos } from './page.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, Image: any;

let server: RunningServer;
let browser: Browser;
let page: Page;
let dataDir: string;
const pageErrors: string[] = [];

/** Opens a sidebar tab (a click on the open tab would close it). */
async function showTab(id: string): Promise<void> {
  if ((await page.locator(`[data-testid="panel-${id}"]`).count()) === 0) await page.click(`[data-testid="tab-${id}"]`);
}

async function openStudio(): Promise<void> {
  await page.goto(server.url);
  await page.waitForFunction(() => (window as never as { svdiff?: { studio?: unknown } }).svdiff?.studio !== undefined);
  await page.waitForSelector('[data-testid="lib-node-SaveImage"]');
}

beforeAll(async () => {
  ensureClientBuilt();
  dataDir = dataDirWithInputs();
  server = await startServer({ dataDir });
  browser = await launchBrowser();
  ({ page } = await newStudioPage(browser, pageErrors, 'e2e flow'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

beforeEach((ctx) => screenshotOnFailure(ctx, () => page));

describe('studio in the browser', () => {
  it('builds a graph with the mouse, queues it, shows per-node progress and the image', async () => {
    await openStudio();
    // A first visit opens the first example workflow when the repository ships any.
    const templates = (await (await fetch(`${server.url}/api/templates`)).json()) as { name: string }[];
    if (templates.length > 0) {
      await expect.poll(() => page.textContent('[data-testid="workflow-title"]')).toContain('(template)');
      const opened = (await page.textContent('[data-testid="workflow-title"]'))!.replace(/\(template\).*$/, '').trim();
      expect(templates.map((t) => t.name)).toContain(opened);
      const first = (await (await fetch(`${server.url}/api/templates/${encodeURIComponent(opened)}`)).json()) as { nodes: unknown[] };
      await expect.poll(async () => (await nodes(page)).length).toBe(first.nodes.length);
      await page.click('[data-testid="tab-templates"]');
      await expect.poll(() => page.locator('[data-testid^="template-"]').count()).toBe(templates.length);
      await page.click('[data-testid="tab-nodes"]');
    } else expect(await nodes(page)).toEqual([]);
    await page.click('[data-testid="new"]');
    expect(await nodes(page)).toEqual([]);

    // Add nodes: two dragged from the library sidebar, one through the double-click search box.
    await dragFromLibrary(page, 'LoadImages', [180, 140]);
    await dragFromLibrary(page, 'SaveImage', [860, 160]);
    const canvas = await page.locator('[data-testid="canvas"]').boundingBox();
    await page.mouse.dblclick(canvas!.x + 380, canvas!.y + 320);
    await page.waitForSelector('.litesearchbox input');
    await page.keyboard.type('Image Grid', { delay: 20 });
    await page.waitForSelector('.litesearchbox .lite-search-item');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await nodes(page)).map((n) => n.type).sort()).toEqual(['ImageGrid', 'LoadImages', 'SaveImage']);

    const load = await nodeOfType(page, 'LoadImages');
    const grid = await nodeOfType(page, 'ImageGrid');
    const save = await nodeOfType(page, 'SaveImage');
    expect(load.widgets.folder).toBe('a-subject');
    await connect(page, load.id, 0, grid.id, 0);
    await connect(page, grid.id, 0, save.id, 0);
    // A widget takes a link too: the folder's image count drives the grid's columns.
    const columns = grid.inputs.findIndex((i) => i.name === 'columns');
    await connect(page, load.id, 1, grid.id, columns);
    const linked = await nodes(page);
    expect(linked.find((n) => n.id === grid.id)!.inputs[0].link).not.toBeNull();
    expect(linked.find((n) => n.id === grid.id)!.inputs[columns].link).not.toBeNull();
    expect(linked.find((n) => n.id === save.id)!.inputs[0].link).not.toBeNull();
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/prompt') && r.method() === 'POST');

    // Record what the live view gets while the prompt runs.
    await page.evaluate(() => {
      const w = window as never as { svdiff: { api: { on: (t: string, f: (d: unknown) => void) => void } }; seen: unknown[] };
      w.seen = [];
      for (const t of ['executing', 'progress', 'executed', 'execution_success']) w.svdiff.api.on(t, (d) => w.seen.push([t, d]));
    });
    await page.click('[data-testid="queue"]');
    const body = JSON.parse((await sent).postData()!);
    expect(body.prompt[String(grid.id)].inputs).toEqual({ images: [String(load.id), 0], columns: [String(load.id), 1], padding: 0 });
    expect(body.extra_data.extra_pnginfo.workflow.nodes).toHaveLength(3);
    await page.waitForFunction(() => (window as never as { seen: [string][] }).seen.some((e) => e[0] === 'execution_success'), undefined, { timeout: 60_000 });
    const seen = (await page.evaluate(() => (window as never as { seen: unknown[] }).seen)) as [string, { node: string; value: number; max: number }][];
    const progress = seen.filter(([t, d]) => t === 'progress' && d.node === String(load.id));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1][1].value).toBe(progress[progress.length - 1][1].max);
    expect(seen.some(([t, d]) => t === 'executing' && d.node === String(grid.id))).toBe(true);

    // The image shows on the Save Image node (loaded by the browser) and in the gallery.
    await expect.poll(async () => (await nodeOfType(page, 'SaveImage')).live?.images?.length ?? 0).toBe(1);
    const url = (await nodeOfType(page, 'SaveImage')).live!.images![0];
    const size = await page.evaluate(async (u) => {
      const img = new Image();
      img.src = u;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, url);
    expect(size[0]).toBeGreaterThan(32); // three 32×32 tiles side by side
    await page.click('[data-testid="tab-gallery"]');
    await expect.poll(() => page.locator('[data-testid="gallery-image"]').count()).toBe(1);
    expect(readdirSync(join(dataDir, 'output')).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  });

  it('saves the workflow, survives a reload, and opens it from the sidebar', async () => {
    await page.click('[data-testid="save"]'); // no name yet: asks (the dialog handler answers "e2e flow")
    await expect.poll(() => page.textContent('[data-testid="workflow-title"]')).toContain('e2e flow');
    const before = (await nodes(page)).map((n) => [n.id, n.type, n.widgets]);

    await page.reload();
    await page.waitForFunction(() => (window as never as { svdiff?: { studio?: unknown } }).svdiff?.studio !== undefined);
    await expect.poll(async () => (await nodes(page)).map((n) => [n.id, n.type, n.widgets])).toEqual(before); // autosave

    // Clear the canvas, then open the saved workflow from the Workflows tab.
    await page.click('[data-testid="new"]');
    expect(await nodes(page)).toEqual([]);
    await page.click('[data-testid="tab-workflows"]');
    await page.click('[data-testid="workflow-e2e flow"] .grow');
    await expect.poll(async () => (await nodes(page)).map((n) => [n.id, n.type, n.widgets])).toEqual(before);
    expect(await page.textContent('[data-testid="workflow-title"]')).not.toContain('●');
  });

  it('restores the graph from a saved PNG dropped on the canvas', async () => {
    await page.click('[data-testid="new"]');
    expect(await nodes(page)).toEqual([]);
    const file = readdirSync(join(dataDir, 'output')).find((f) => f.endsWith('.png'))!;
    const bytes = readFileSync(join(dataDir, 'output', file));
    const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    await dropFile(page, [box.x + 400, box.y + 300], bytes, file, 'image/png');
    await expect.poll(async () => (await nodes(page)).map((n) => n.type).sort()).toEqual(['ImageGrid', 'LoadImages', 'SaveImage']);
    const grid = await nodeOfType(page, 'ImageGrid');
    expect(grid.inputs[0].link).not.toBeNull();
  });

  it('shows a failing node’s error on the node, and marks invalid inputs', async () => {
    // A workflow JSON dropped on the canvas: Load Image → Crop Image with x outside the image.
    const workflow = {
      last_node_id: 3,
      last_link_id: 2,
      nodes: [
        { id: 1, type: 'LoadImage', pos: [0, 0], size: [260, 120], mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }], widgets_values: ['photo.png'] },
        { id: 2, type: 'ImageCrop', pos: [320, 0], size: [260, 160], mode: 0, inputs: [{ name: 'image', type: 'IMAGE', link: 1 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [2] }], widgets_values: [16, 16, 500, 0] },
        { id: 3, type: 'PreviewImage', pos: [640, 0], size: [260, 120], mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 2 }] },
      ],
      links: [
        [1, 1, 0, 2, 0, 'IMAGE'],
        [2, 2, 0, 3, 0, 'IMAGE'],
      ],
      groups: [],
      config: {},
      extra: {},
      version: 0.4,
    };
    const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    await dropFile(page, [box.x + 400, box.y + 300], new TextEncoder().encode(JSON.stringify(workflow)), 'broken.json', 'application/json');
    await expect.poll(async () => (await nodes(page)).map((n) => n.type).sort()).toEqual(['ImageCrop', 'LoadImage', 'PreviewImage']);
    await page.keyboard.press('Control+Enter');
    await expect.poll(async () => (await nodeOfType(page, 'ImageCrop')).live?.error ?? '', { timeout: 30_000 }).toMatch(/ImageCrop/);
    const error = (await nodeOfType(page, 'ImageCrop')).live!.error!;
    expect(error).toMatch(/x/);
    expect((await nodeOfType(page, 'ImageCrop')).live!.inputErrors!.map((e) => e[0])).toEqual(['x']);
    await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/ImageCrop/)]));

    // Unlink the crop's image input: the server rejects the prompt and the input is marked.
    const crop = await nodeOfType(page, 'ImageCrop');
    const input = await screenPos(page, crop.id, { input: 0 });
    await page.mouse.move(input[0], input[1]);
    await page.mouse.down();
    await page.mouse.move(input[0] + 100, input[1] + 320, { steps: 6 });
    await page.mouse.up();
    await page.keyboard.press('Escape');
    expect((await nodeOfType(page, 'ImageCrop')).inputs[0].link).toBeNull();
    await page.click('[data-testid="queue"]');
    await expect.poll(async () => (await nodeOfType(page, 'ImageCrop')).live?.inputErrors?.map((e) => e[0]) ?? []).toContain('image');
    expect(pageErrors).toEqual([]);
  });

  it('uploads an image dropped on a Load Image node and selects it', async () => {
    const load = await nodeOfType(page, 'LoadImage');
    const at = await screenPos(page, load.id, { input: 0 });
    await dropFile(page, [at[0] + 60, at[1] + 20], testPng(20, 20, 11), 'dropped.png', 'image/png');
    await expect.poll(async () => (await nodeOfType(page, 'LoadImage')).widgets.image).toBe('dropped.png');
    expect(readdirSync(join(dataDir, 'input'))).toContain('dropped.png');
    expect((await nodeOfType(page, 'LoadImage')).live?.images?.[0]).toContain('filename=dropped.png');
  });

  it('copies and pastes, undoes and redoes, and bypasses nodes from the keyboard', async () => {
    await page.click('[data-testid="new"]');
    await showTab('nodes');
    await page.click('[data-testid="lib-node-ImageScale"]');
    const scale = await nodeOfType(page, 'ImageScale');
    const title = await screenPos(page, scale.id, { title: true });
    const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    await page.mouse.click(box.x + 30, box.y + box.height - 30); // empty canvas: clears selection
    await page.waitForTimeout(600); // not a double-click
    await page.mouse.click(title[0], title[1]);
    await expect.poll(() => page.evaluate(() => Object.keys(window.svdiff.studio.canvas.selected_nodes))).toEqual([String(scale.id)]);
    await page.keyboard.press('Control+c');
    await page.mouse.move(title[0] + 200, title[1] + 250);
    await page.keyboard.press('Control+v');
    await expect.poll(async () => (await nodes(page)).length).toBe(2);
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await nodes(page)).length).toBe(1);
    await page.keyboard.press('Control+y');
    await expect.poll(async () => (await nodes(page)).length).toBe(2);
    await page.waitForTimeout(600); // not a double-click on the title (that renames the node)
    await page.mouse.click(title[0], title[1]);
    expect(await page.evaluate(() => Object.keys(window.svdiff.studio.canvas.selected_nodes))).toEqual([String(scale.id)]);
    await page.keyboard.press('Control+b');
    const modes = await page.evaluate(() => window.svdiff.studio.graph.nodes.map((n: any) => [n.id, n.mode]));
    expect(modes).toContainEqual([scale.id, 4]);
    expect(modes.filter((m: number[]) => m[1] === 4)).toHaveLength(1);
  });

  it('shows previews while sampling, lists the running prompt, and stops on interrupt', async () => {
    await page.click('[data-testid="new"]');
    await showTab('nodes');
    // Earlier messages would cover the canvas' top right: dismiss them (a click closes one).
    while ((await page.locator('[data-testid="toast"]').count()) > 0) await page.locator('[data-testid="toast"]').first().click();
    // Dragged from the library to their places (canvas coordinates of each node's centre).
    await dragFromLibrary(page, 'LoadModel', [170, 120]);
    await dragFromLibrary(page, 'RandomNoise', [170, 400]);
    await dragFromLibrary(page, 'Sample', [500, 330]);
    await dragFromLibrary(page, 'PreviewImage', [840, 420]);
    const [model, noise, sample, preview] = await Promise.all(['LoadModel', 'RandomNoise', 'Sample', 'PreviewImage'].map((t) => nodeOfType(page, t)));
    const input = (n: typeof sample, name: string) => n.inputs.findIndex((i) => i.name === name);
    await connect(page, model.id, 0, noise.id, input(noise, 'model'));
    await connect(page, model.id, 0, sample.id, input(sample, 'model'));
    await connect(page, noise.id, 0, sample.id, input(sample, 'latent'));
    await connect(page, sample.id, 0, preview.id, 0);
    expect((await nodeOfType(page, 'Sample')).inputs.filter((i) => i.link !== null)).toHaveLength(2);
    expect((await nodeOfType(page, 'PreviewImage')).inputs[0].link).not.toBeNull();
    // Long enough to still be running when Stop is pressed.
    await page.evaluate((id) => {
      const n = window.svdiff.studio.graph.getNodeById(id);
      n.widgets.find((w: any) => w.name === 'steps').value = 500;
      const w = window as any;
      w.events = [];
      for (const t of ['progress', 'b_preview', 'execution_interrupted', 'execution_success', 'execution_error']) w.svdiff.api.on(t, () => w.events.push(t));
    }, sample.id);
    const accepted = page.waitForResponse((r) => r.url().endsWith('/api/prompt'));
    await page.click('[data-testid="queue"]');
    expect((await accepted).status()).toBe(200);
    await page.waitForFunction(() => (window as any).events.includes('b_preview') || (window as any).events.includes('execution_error'), undefined, { timeout: 90_000 });
    expect(await page.evaluate(() => (window as any).events.includes('execution_error'))).toBe(false);
    await expect.poll(async () => (await nodeOfType(page, 'Sample')).live?.images?.[0] ?? '').toMatch(/^blob:/);
    expect((await nodeOfType(page, 'Sample')).live?.running).toBe(true);
    await showTab('queue');
    await expect.poll(() => page.locator('[data-testid="queue-running"]').count()).toBe(1);
    await page.click('[data-testid="interrupt"]');
    await page.waitForFunction(() => (window as any).events.includes('execution_interrupted'), undefined, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as any).events.includes('execution_success'))).toBe(false);
    await expect.poll(() => page.locator('[data-testid="queue-running"]').count()).toBe(0);
    expect((await nodeOfType(page, 'Sample')).live?.running).toBeFalsy();
  }, 150_000);

  it('reconnects by itself when the server restarts', async () => {
    const port = new URL(server.url).port;
    await expect.poll(() => page.evaluate(() => window.svdiff.api.connected)).toBe(true);
    await server.stop();
    await expect.poll(() => page.evaluate(() => window.svdiff.api.connected)).toBe(false);
    server = await startServer({ dataDir, port: Number(port) });
    await expect.poll(() => page.evaluate(() => window.svdiff.api.connected), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toEqual(expect.arrayContaining(['Reconnected to the server']));
    expect(pageErrors).toEqual([]);
  });
});
