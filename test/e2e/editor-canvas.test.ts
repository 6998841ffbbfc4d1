// The canvas editor in a real browser, at device scale factors 1 and 2: the Add Node menus
// (right-click and link release), the search box opened from a released link (filtered by
// the link's type, at the pointer, closed cleanly), the node menu's Properties and
// Properties Panel, drawing and hit-testing on HiDPI screens (and when the ratio changes),
// title editing in place, the minimap and zoom/fit buttons, and the canvas actions that
// keys are bound to (group, collapse, pin). Screenshots of failures go to test-results/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, repoRoot, startServer, type RunningServer } from './harness.ts';
import { nodes, screenPos } from './page.ts';
import {
  addNodeAt,
  canvasMetrics,
  canvasPixel,
  clickMenu,
  closeMenus,
  dblclickAt,
  focused,
  emptyGraph,
  links,
  menuEntries,
  nodeGeometry,
  notADoubleClick,
  openCanvasStudio,
  releaseLink,
  setDeviceScaleFactor,
  toGraph,
  toScreen,
} from './page-canvas.ts';
import { minimapLayout, toMinimap, type Rect } from '../../client/src/graph/minimap.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, getComputedStyle: any;

type Def = { name: string; display_name: string; category: string; input: { required?: Record<string, [unknown, unknown?]>; optional?: Record<string, [unknown, unknown?]> }; output: string[] };

let server: RunningServer;
let browser: Browser;
let defs: Record<string, Def>;

beforeAll(async () => {
  ensureClientBuilt();
  server = await startServer();
  browser = await launchBrowser();
  defs = (await (await fetch(`${server.url}/api/object_info`)).json()) as Record<string, Def>;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const inputTypes = (d: Def) => Object.values({ ...d.input.required, ...d.input.optional }).map((s) => (Array.isArray(s[0]) ? 'COMBO' : String(s[0])));
const takes = (type: string) => Object.values(defs).filter((d) => inputTypes(d).includes(type)).map((d) => d.name).sort();
const gives = (type: string) => Object.values(defs).filter((d) => d.output.includes(type)).map((d) => d.name).sort();
const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

describe.each([1, 2])('canvas editor at device scale factor %s', (dsf) => {
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const canvasBox = async () => (await page.locator('[data-testid="canvas"]').boundingBox())!;
  // litegraph's class names, which the studio's box keeps: the same test runs against either.
  const searchItems = () => page.locator('.litesearchbox .lite-search-item').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { type: string } }).dataset.type));

  /** A Load Image node whose output's link is dragged out and released on the empty canvas. */
  const releaseFromLoadImage = async () => {
    const load = await addNodeAt(page, 'LoadImage', [60, 80]);
    const out = await screenPos(page, load, { output: 0 });
    const drop: [number, number] = [out[0] + 320, out[1] + 60];
    await releaseLink(page, out, drop);
    return { load, drop };
  };
  /** The node's top-left corner is under page point `p` (within 2 graph units). */
  const expectNodeAt = async (id: number, p: [number, number]) => {
    const g = await nodeGeometry(page, id);
    const want = await toGraph(page, p);
    expect(near(g.pos[0], want[0], 2) && near(g.pos[1], want[1], 2), `node #${id} at ${g.pos}, not ${want}`).toBe(true);
  };

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: dsf });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await openCanvasStudio(page, server.url);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  beforeEach(async (ctx) => {
    ctx.onTestFailed(async () => {
      mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
      const name = `${dsf}x-${ctx.task.name}`.replace(/[^a-z0-9]+/gi, '-').slice(0, 70);
      await page?.screenshot({ path: join(repoRoot, 'test-results', `e2e-canvas-${name}.png`) }).catch(() => {});
    });
    await page.keyboard.press('Escape');
    await closeMenus(page);
    await emptyGraph(page);
    pageErrors.length = 0;
  });

  it('right-click on the canvas → Add Node lists the node categories and adds the chosen node there', async () => {
    const box = await canvasBox();
    const at: [number, number] = [box.x + 420, box.y + 260];
    await page.mouse.click(at[0], at[1], { button: 'right' });
    await clickMenu(page, 'Add Node');
    const categories = [...new Set(Object.values(defs).map((d) => d.category.split('/')[0]))].sort();
    expect(categories.length).toBeGreaterThan(2);
    expect((await menuEntries(page)).sort()).toEqual(categories);
    await clickMenu(page, 'image');
    const image = await menuEntries(page);
    expect(image).toContain('transform'); // image/transform: a nested category
    expect(image).toContain('Load Image');
    await clickMenu(page, 'transform');
    expect(await menuEntries(page)).toEqual(expect.arrayContaining(['Scale Image', 'Crop Image']));
    await clickMenu(page, 'Scale Image');
    await expect.poll(async () => (await nodes(page)).map((n) => n.type)).toEqual(['ImageScale']);
    const [scale] = await nodes(page);
    await expectNodeAt(scale.id, at);
    expect(pageErrors).toEqual([]);
  });

  it('link release → Add Node lists the categories and connects the new node to the link', async () => {
    const { load, drop } = await releaseFromLoadImage();
    expect(await menuEntries(page)).toEqual(expect.arrayContaining(['Add Node', 'Add Reroute', 'Search']));
    await clickMenu(page, 'Add Node');
    expect(await menuEntries(page)).toEqual(expect.arrayContaining(['image', 'latent', 'sampling']));
    await clickMenu(page, 'image');
    await clickMenu(page, 'Preview Image');
    await expect.poll(async () => (await nodes(page)).map((n) => n.type).sort()).toEqual(['LoadImage', 'PreviewImage']);
    const preview = (await nodes(page)).find((n) => n.type === 'PreviewImage')!;
    expect(await links(page)).toEqual([[load, 0, preview.id, 0]]);
    await expectNodeAt(preview.id, drop);
    expect(pageErrors).toEqual([]);
  });

  it('link release → Search lists only nodes taking the link’s type, at the pointer, and connects the pick', async () => {
    const { load, drop } = await releaseFromLoadImage();
    const entry = page.locator('.litecontextmenu').last().locator('.litemenu-entry').filter({ hasText: /^\s*Search\s*$/ });
    const eb = (await entry.boundingBox())!;
    await entry.click();
    const search = page.locator('.litesearchbox');
    await search.first().waitFor();
    // litegraph 0.17.2 threw here ("Cannot read properties of undefined (reading 'scale')").
    expect(pageErrors).toEqual([]);
    expect(await search.count()).toBe(1);
    // Only node types with an IMAGE input (a socket or a widget taking a link), nothing else.
    expect((await searchItems()).sort()).toEqual(takes('IMAGE'));
    expect(await searchItems()).not.toContain('LoadModel');
    expect(await page.locator('[data-testid="canvas-search-type"]').textContent()).toBe('IMAGE →');
    // At the pointer (the menu entry clicked), not over the top bar.
    const sb = (await search.boundingBox())!;
    const pointer = [eb.x + eb.width / 2, eb.y + eb.height / 2];
    expect(near(sb.x, pointer[0] - 20, 6) && near(sb.y, pointer[1] - 18, 6)).toBe(true);
    expect(sb.y).toBeGreaterThan((await canvasBox()).y);
    expect(await page.locator('.litesearchbox').count()).toBe(1);
    await focused(page, '.litesearchbox input');
    await page.keyboard.type('preview', { delay: 10 });
    await expect.poll(async () => (await searchItems())[0]).toBe('PreviewImage');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.litesearchbox').count()).toBe(0);
    const preview = (await nodes(page)).find((n) => n.type === 'PreviewImage')!;
    expect(preview).toBeDefined();
    expect(await links(page)).toEqual([[load, 0, preview.id, 0]]);
    // The new node sits where the link was released.
    await expectNodeAt(preview.id, drop);
    expect(pageErrors).toEqual([]);
  });

  it('Shift+release from an input searches nodes giving its type; Escape or a press outside closes it', async () => {
    const preview = await addNodeAt(page, 'PreviewImage', [560, 120]);
    const input = await screenPos(page, preview, { input: 0 });
    const drop: [number, number] = [input[0] - 300, input[1] + 80];
    await releaseLink(page, input, drop, true);
    const search = page.locator('.litesearchbox');
    await search.waitFor();
    expect(await page.locator('.litecontextmenu').count()).toBe(0);
    expect((await searchItems()).sort()).toEqual(gives('IMAGE'));
    expect(await searchItems()).not.toContain('SaveImage');
    expect(await page.locator('[data-testid="canvas-search-type"]').textContent()).toBe('→ IMAGE');
    const sb = (await search.boundingBox())!;
    expect(near(sb.x, drop[0] - 20, 6) && near(sb.y, drop[1] - 18, 6)).toBe(true);
    await focused(page, '.litesearchbox input');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.litesearchbox').count()).toBe(0);

    // Again; a press on the canvas closes it too.
    await releaseLink(page, input, drop, true);
    await search.waitFor();
    const box = await canvasBox();
    await page.mouse.click(box.x + 40, box.y + 40);
    await expect.poll(() => page.locator('.litesearchbox').count()).toBe(0);

    // And a pick connects the new node's output to the input.
    await releaseLink(page, input, drop, true);
    await search.waitFor();
    await focused(page, '.litesearchbox input');
    await page.keyboard.type('load image', { delay: 10 });
    await page.locator('.litesearchbox .lite-search-item[data-type="LoadImage"]').click();
    await expect.poll(() => page.locator('.litesearchbox').count()).toBe(0);
    const load = (await nodes(page)).find((n) => n.type === 'LoadImage')!;
    expect(await links(page)).toEqual([[load.id, 0, preview, 0]]);
    // Left of the drop point: its output where the link was released.
    const g = await nodeGeometry(page, load.id);
    const want = await toGraph(page, drop);
    expect(near(g.pos[0] + g.size[0], want[0], 2)).toBe(true);

    // A double-click on the empty canvas: every node type, at the pointer.
    const at: [number, number] = [box.x + 300, box.y + 420];
    await notADoubleClick(page);
    await dblclickAt(page, at);
    await search.waitFor();
    expect((await searchItems()).length).toBe(Object.keys(defs).length);
    expect(await page.locator('[data-testid="canvas-search-type"]').count()).toBe(0);
    await focused(page, '.litesearchbox input');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.litesearchbox').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('node menu → Properties lists the node’s properties; Properties Panel opens over the canvas and edits', async () => {
    const id = await addNodeAt(page, 'ImageScale', [200, 160]);
    const title = await screenPos(page, id, { title: true });
    await page.mouse.click(title[0], title[1], { button: 'right' });
    await clickMenu(page, 'Properties');
    const props = await menuEntries(page);
    expect(props).toHaveLength(1);
    expect(props[0]).toContain('Node name for S&R');
    expect(props[0]).toContain('ImageScale');
    await closeMenus(page);

    await page.mouse.click(title[0], title[1], { button: 'right' });
    await clickMenu(page, 'Properties Panel');
    const panel = page.locator('[data-testid="canvas-wrap"] > .litegraph.dialog');
    await panel.waitFor({ state: 'visible' });
    const pb = (await panel.boundingBox())!;
    const cb = await canvasBox();
    expect(pb.x).toBeGreaterThanOrEqual(cb.x);
    expect(pb.y).toBeGreaterThanOrEqual(cb.y);
    expect(pb.y + pb.height).toBeLessThanOrEqual(cb.y + cb.height);
    expect(pb.width).toBeGreaterThan(250);
    const bg = await panel.evaluate((el) => getComputedStyle(el).backgroundColor as string);
    expect(bg).toMatch(/^rgb\(/); // opaque
    // It is on top: the element at its centre belongs to it.
    expect(await panel.evaluate((el, p) => el.contains((el as any).ownerDocument.elementFromPoint(p[0], p[1])), [pb.x + pb.width / 2, pb.y + 60])).toBe(true);
    expect((await panel.locator('.property[data-property="Node name for S&R"] .property_value').textContent())?.trim()).toBe('ImageScale');
    const titleValue = panel.locator('.property[data-property="Title"] .property_value');
    await titleValue.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Resized', { delay: 10 });
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await nodeGeometry(page, id)).title).toBe('Resized');
    await panel.locator('.close').click();
    await expect.poll(() => panel.count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('draws where it hit-tests: backing store at CSS size × ratio, also after the ratio changes', async () => {
    const m = await canvasMetrics(page);
    expect(m.dpr).toBe(dsf);
    expect(m.width).toBe(Math.round(m.cssWidth * dsf));
    expect(m.height).toBe(Math.round(m.cssHeight * dsf));
    const id = await addNodeAt(page, 'ImageScale', [300, 200]);
    await page.evaluate((id) => {
      const n = window.svdiff.studio.graph.getNodeById(id);
      n.size = [300, 400];
      n.bgcolor = '#ff0000';
    }, id);
    const inside = await toScreen(page, [450, 580]); // body, below the widgets
    const outside = await toScreen(page, [250, 580]);
    const red = ([r, g, b]: number[]) => r > 200 && g < 40 && b < 40;
    for (const ratio of [dsf, dsf === 2 ? 1.5 : 2, dsf]) {
      if (ratio !== (await canvasMetrics(page)).dpr) {
        // The window moves to a screen with another device scale factor.
        await setDeviceScaleFactor(context, page, ratio);
        await expect.poll(async () => (await canvasMetrics(page)).width).toBe(Math.round((await canvasMetrics(page)).cssWidth * ratio));
      }
      expect(red(await canvasPixel(page, inside)), `node drawn under its hit area at ${ratio}x`).toBe(true);
      expect(red(await canvasPixel(page, outside))).toBe(false);
      await page.evaluate(() => window.svdiff.studio.canvas.deselectAll());
      await notADoubleClick(page);
      await page.mouse.click(inside[0], inside[1]);
      await expect.poll(() => page.evaluate(() => Object.keys(window.svdiff.studio.canvas.selected_nodes))).toEqual([String(id)]);
    }
    expect(pageErrors).toEqual([]);
  });

  it('double-click on a node title or a group title edits it in place', async () => {
    const id = await addNodeAt(page, 'ImageScale', [200, 150]);
    const t = await screenPos(page, id, { title: true });
    await dblclickAt(page, t);
    const editor = page.locator('[data-testid="title-editor"]');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe('Scale Image');
    const eb = (await editor.boundingBox())!;
    const [left, top] = await toScreen(page, [200, 150 - 30]);
    expect(near(eb.x, left, 2) && near(eb.y, top, 4)).toBe(true);
    await focused(page, '[data-testid="title-editor"]');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Upscale', { delay: 10 });
    await page.keyboard.press('Enter');
    await expect.poll(() => editor.count()).toBe(0);
    expect((await nodeGeometry(page, id)).title).toBe('Upscale');
    // Escape leaves it as it was.
    await notADoubleClick(page);
    await dblclickAt(page, t);
    await editor.waitFor();
    await focused(page, '[data-testid="title-editor"]');
    await page.keyboard.type('Nope', { delay: 10 });
    await page.keyboard.press('Escape');
    await expect.poll(() => editor.count()).toBe(0);
    expect((await nodeGeometry(page, id)).title).toBe('Upscale');
    // The node menu's Title entry edits in place too.
    await page.mouse.click(t[0], t[1], { button: 'right' });
    await clickMenu(page, 'Title');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe('Upscale');
    await focused(page, '[data-testid="title-editor"]');
    await page.keyboard.press('Escape');
    await expect.poll(() => editor.count()).toBe(0);

    // A group around the node; its title bar takes a double-click too.
    const group = await page.evaluate((id) => {
      const s = window.svdiff.studio;
      s.canvas.deselectAll();
      s.canvas.selectNode(s.graph.getNodeById(id));
      const g = s.groupSelected({ editTitle: false });
      return { pos: [g.pos[0], g.pos[1]] as [number, number], title: g.title as string };
    }, id);
    expect(group.title).toBe('Group');
    const gt = await toScreen(page, [group.pos[0] + 60, group.pos[1] + 12]);
    await notADoubleClick(page);
    await dblclickAt(page, gt);
    await editor.waitFor();
    await focused(page, '[data-testid="title-editor"]');
    expect(await editor.inputValue()).toBe('Group');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Inputs', { delay: 10 });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => window.svdiff.studio.graph.groups[0].title)).toBe('Inputs');
    expect(pageErrors).toEqual([]);
  });

  it('minimap shows the graph and moves the view on a press or drag; zoom and fit buttons', async () => {
    const a = await addNodeAt(page, 'LoadImage', [0, 0]);
    const b = await addNodeAt(page, 'PreviewImage', [2400, 1400]);
    await page.click('[data-testid="canvas-fit"]');
    const view = (await page.evaluate(() => window.svdiff.studio.viewRect())) as Rect;
    for (const id of [a, b]) {
      const g = await nodeGeometry(page, id);
      expect(g.pos[0] >= view[0] && g.pos[0] + g.size[0] <= view[0] + view[2] && g.pos[1] - 30 >= view[1] && g.pos[1] + g.size[1] <= view[1] + view[3]).toBe(true);
    }
    const map = page.locator('[data-testid="minimap"] canvas');
    await map.waitFor();
    const mb = (await map.boundingBox())!;
    const cb = await canvasBox();
    expect(mb.x + mb.width).toBeLessThanOrEqual(cb.x + cb.width);
    expect(mb.y + mb.height).toBeLessThanOrEqual(cb.y + cb.height);
    // Its pixels are drawn at the device ratio too.
    expect(await map.evaluate((el: any) => el.width)).toBe(Math.round(mb.width * dsf));
    const bounds = (await page.evaluate(() => window.svdiff.studio.contentBounds())) as Rect;
    const layout = minimapLayout(bounds, mb.width, mb.height);
    const centre = async (id: number) => {
      const g = await nodeGeometry(page, id);
      return [g.pos[0] + g.size[0] / 2, g.pos[1] + g.size[1] / 2] as [number, number];
    };
    const onMap = (p: [number, number]) => {
      const [x, y] = toMinimap(layout, p[0], p[1]);
      return [mb.x + x, mb.y + y] as [number, number];
    };
    const viewCentre = () => page.evaluate(() => window.svdiff.studio.viewCentre() as [number, number]);
    const tol = 2 / layout.scale;
    const cbB = await centre(b);
    await page.mouse.click(...onMap(cbB));
    const v1 = await viewCentre();
    expect(near(v1[0], cbB[0], tol) && near(v1[1], cbB[1], tol)).toBe(true);
    const cbA = await centre(a);
    const from = onMap(cbB);
    const to = onMap(cbA);
    await page.mouse.move(from[0], from[1]);
    await page.mouse.down();
    await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 3 });
    await page.mouse.move(to[0], to[1], { steps: 3 });
    await page.mouse.up();
    const v2 = await viewCentre();
    expect(near(v2[0], cbA[0], tol) && near(v2[1], cbA[1], tol)).toBe(true);

    const scale = () => page.evaluate(() => window.svdiff.studio.canvas.ds.scale as number);
    const s0 = await scale();
    await page.click('[data-testid="canvas-zoom-in"]');
    expect(await scale()).toBeCloseTo(s0 * 1.2, 5);
    await expect.poll(() => page.textContent('[data-testid="canvas-zoom"]')).toBe(`${Math.round(s0 * 120)}%`);
    // Zooming keeps the view's centre.
    const v3 = await viewCentre();
    expect(near(v3[0], v2[0], 1) && near(v3[1], v2[1], 1)).toBe(true);
    await page.click('[data-testid="canvas-zoom-out"]');
    expect(await scale()).toBeCloseTo(s0, 5);

    await page.click('[data-testid="canvas-minimap-toggle"]');
    await expect.poll(() => page.locator('[data-testid="minimap"]').count()).toBe(0);
    await page.click('[data-testid="canvas-minimap-toggle"]');
    await expect.poll(() => page.locator('[data-testid="minimap"]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('canvas actions for the keybindings: group, collapse and pin the selection (undoable)', async () => {
    const a = await addNodeAt(page, 'LoadImage', [100, 100]);
    const b = await addNodeAt(page, 'ImageScale', [480, 140]);
    const none = await page.evaluate(() => {
      const s = window.svdiff.studio;
      return [s.groupSelected(), s.toggleCollapseSelected(), s.togglePinSelected()];
    });
    expect(none).toEqual([false, false, false]);
    const group = await page.evaluate(
      ([a, b]) => {
        const s = window.svdiff.studio;
        s.canvas.selectItems([s.graph.getNodeById(a), s.graph.getNodeById(b)]);
        const g = s.groupSelected();
        return { bounds: [...g.boundingRect], nodes: g.nodes.map((n: any) => n.id).sort(), count: s.graph.groups.length };
      },
      [a, b] as const,
    );
    expect(group.count).toBe(1);
    expect(group.nodes).toEqual([a, b].sort());
    for (const id of [a, b]) {
      const g = await nodeGeometry(page, id);
      // (bounds are Float32: a hair of tolerance)
      expect(g.pos[0] >= group.bounds[0] - 0.01 && g.pos[0] + g.size[0] <= group.bounds[0] + group.bounds[2] + 0.01 && g.pos[1] + g.size[1] <= group.bounds[1] + group.bounds[3] + 0.01).toBe(true);
    }
    // ComfyUI's Ctrl+G then edits the new group's title.
    const editor = page.locator('[data-testid="title-editor"]');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe('Group');
    await focused(page, '[data-testid="title-editor"]');
    await page.keyboard.press('Escape');
    await expect.poll(() => editor.count()).toBe(0);

    expect(await page.evaluate(() => window.svdiff.studio.toggleCollapseSelected())).toBe(true);
    expect([(await nodeGeometry(page, a)).collapsed, (await nodeGeometry(page, b)).collapsed]).toEqual([true, true]);
    expect(await page.evaluate(() => window.svdiff.studio.toggleCollapseSelected())).toBe(true);
    expect([(await nodeGeometry(page, a)).collapsed, (await nodeGeometry(page, b)).collapsed]).toEqual([false, false]);
    expect(await page.evaluate(() => window.svdiff.studio.togglePinSelected())).toBe(true);
    expect([(await nodeGeometry(page, a)).pinned, (await nodeGeometry(page, b)).pinned]).toEqual([true, true]);
    // A pinned node does not move when dragged.
    const before = await nodeGeometry(page, a);
    const t = await screenPos(page, a, { title: true });
    await releaseLink(page, t, [t[0] + 120, t[1] + 90]);
    expect((await nodeGeometry(page, a)).pos).toEqual(before.pos);
    await page.evaluate(([a, b]) => window.svdiff.studio.canvas.selectItems([window.svdiff.studio.graph.getNodeById(a), window.svdiff.studio.graph.getNodeById(b)]), [a, b] as const);
    expect(await page.evaluate(() => window.svdiff.studio.togglePinSelected())).toBe(true);
    expect([(await nodeGeometry(page, a)).pinned, (await nodeGeometry(page, b)).pinned]).toEqual([false, false]);
    // Each action is one undo step: undo the unpin, the pin, … back to before the group.
    for (let i = 0; i < 5; i++) await page.evaluate(() => window.svdiff.studio.undo());
    expect(await page.evaluate(() => window.svdiff.studio.graph.groups.length)).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
