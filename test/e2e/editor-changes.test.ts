// Work is never lost, tabs, templates — in a real browser against the real server (fresh data
// folder). Each case is a defect as a user met it:
//   1. canvas edits with the mouse (move, link, a widget's arrow) were no undo step, left no
//      unsaved mark and missed autosave; every other edit (resize, unlink, title, colour,
//      group, bypass, mute, paste, delete) is one step too;
//   2. History → "open the workflow of this run" blanked the canvas (DataCloneError);
//   3. "Convert to Subgraph" deleted the selected nodes;
//   4. tabs: each keeps its graph, undo history, unsaved mark and view; closing a changed one
//      asks; they survive a reload; templates open in a tab of their own without a prompt and
//      unchanged (a node that grew after load marked them changed);
//   5. rename in the Workflows panel; an imported file keeps its name;
//   6. templates open readable (scale ≥ 0.6, their start in view);
//   7. combine-shifts runs on a fresh data folder (its shift files are seeded).
// Drawing and clicking cases run at device scale factors 1 and 2.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, repoRoot, startServer, type RunningServer } from './harness.ts';
import { connect, drag, dragFromLibrary, dropFile, moveNode } from './page.ts';
import {
  clickTab, cornerPoint, emptyPoint, graphKey, jsonDiff, menu, menuEntries, nodeStates, openFresh, openTemplate, ready, settle, showPanel, STORE, tabs,
  titlePoint, toScreen, tracker, view, widgetPoint, type Opened,
} from './page-changes.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any;

let server: RunningServer;
let browser: Browser;
const opened: Opened[] = [];

beforeAll(async () => {
  ensureClientBuilt();
  server = await startServer();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function fresh(o: Parameters<typeof openFresh>[2] = {}): Promise<Opened> {
  const x = await openFresh(browser, server.url, o);
  opened.push(x);
  return x;
}

/** Runs `body`; on failure keeps a screenshot in test-results/ and closes the context either way. */
async function withPage<T>(x: Opened, name: string, body: (page: Page) => Promise<T>): Promise<T> {
  try {
    return await body(x.page);
  } catch (e) {
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await x.page.screenshot({ path: join(repoRoot, 'test-results', `editor-changes-${name}.png`) }).catch(() => {});
    throw e;
  } finally {
    await x.context.close();
  }
}

const byType = async (page: Page, type: string) => {
  const n = (await nodeStates(page)).find((x) => x.type === type);
  if (!n) throw new Error(`no ${type} node`);
  return n;
};

const byId = async (page: Page, id: number) => {
  const n = (await nodeStates(page)).find((x) => x.id === id);
  if (!n) throw new Error(`no node #${id}`);
  return n;
};

async function press(page: Page, keys: string): Promise<void> {
  await page.keyboard.press(keys);
  await settle(page);
}

/** Two Image Scale nodes linked, as a dropped workflow file (a new tab), shown at scale 1 top left (clear of overlays). */
const TWO_NODES = {
  last_node_id: 2,
  last_link_id: 1,
  nodes: [
    { id: 1, type: 'ImageScale', pos: [60, 80], size: [300, 130], mode: 0, inputs: [{ name: 'image', type: 'IMAGE', link: null }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }], widgets_values: ['bilinear', 64, 64, 'disabled'] },
    { id: 2, type: 'ImageScale', pos: [460, 120], size: [300, 130], mode: 0, inputs: [{ name: 'image', type: 'IMAGE', link: 1 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }], widgets_values: ['bilinear', 32, 32, 'disabled'] },
  ],
  links: [[1, 1, 0, 2, 0, 'IMAGE']],
  groups: [],
  config: {},
  extra: { ds: { scale: 1, offset: [0, 0] } },
  version: 0.4,
};

async function dropWorkflow(page: Page, wf: unknown, name: string): Promise<void> {
  const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
  await dropFile(page, [box.x + 300, box.y + 300], new TextEncoder().encode(JSON.stringify(wf)), name, 'application/json');
  await page.waitForFunction((n) => document.querySelector('[aria-selected="true"] [data-testid="workflow-tab-title"]')?.textContent.trim() === n, name.replace(/\.json$/, ''));
  await settle(page);
}

describe.each([1, 2])('at device scale factor %i', (dpr) => {
  it('records mouse edits (move, link, widget arrow) as undo steps, marks them unsaved and autosaves them', async () => {
    const x = await fresh({ dpr, answer: (d) => (d.type === 'prompt' ? 'changes e2e' : true) });
    await withPage(x, `mouse-${dpr}`, async (page) => {
      // New → Load Model and Sample from the library.
      await page.click('[data-testid="workflow-tab-new"]');
      await showPanel(page, 'nodes');
      await dragFromLibrary(page, 'LoadModel', [200, 150]);
      await dragFromLibrary(page, 'Sample', [640, 330]);
      await settle(page);
      expect(await tracker(page)).toMatchObject({ undo: 2, dirty: true });
      const added = await nodeStates(page);
      const model = await byType(page, 'LoadModel');
      const sample = await byType(page, 'Sample');

      // Drag Load Model by its title.
      const t = await titlePoint(page, model.id);
      await moveNode(page, model.id, [t[0] - 60 + 40, t[1] + 120]);
      await settle(page);
      const moved = (await byType(page, 'LoadModel')).pos;
      expect(moved).not.toEqual(model.pos);
      expect((await tracker(page)).undo).toBe(3);

      // A MODEL link to Sample.
      const modelInput = await page.evaluate((id) => window.svdiff.studio.graph.getNodeById(id).inputs.findIndex((i: any) => i.name === 'model'), sample.id);
      await connect(page, model.id, 0, sample.id, modelInput);
      await settle(page);
      expect((await byType(page, 'Sample')).linkedInputs).toEqual(['model']);
      expect((await tracker(page)).undo).toBe(4);

      // ▶ on steps.
      const inc = await widgetPoint(page, sample.id, 'steps', 'inc');
      await page.mouse.click(inc[0], inc[1]);
      await settle(page);
      const steps = (await byType(page, 'Sample')).widgets.steps as number;
      expect(steps).toBeGreaterThan(sample.widgets.steps as number);
      expect((await tracker(page)).undo).toBe(5);
      const final = await nodeStates(page);

      // Undo, one edit at a time, then redo them all.
      await press(page, 'Control+z');
      expect((await byType(page, 'Sample')).widgets.steps).toBe(sample.widgets.steps);
      expect((await byType(page, 'Sample')).linkedInputs).toEqual(['model']);
      await press(page, 'Control+z');
      expect((await byType(page, 'Sample')).linkedInputs).toEqual([]);
      expect((await byType(page, 'LoadModel')).pos).toEqual(moved);
      await press(page, 'Control+z');
      expect(await nodeStates(page)).toEqual(added);
      await press(page, 'Control+z');
      expect((await nodeStates(page)).map((n) => n.type)).toEqual(['LoadModel']);
      for (let i = 0; i < 4; i++) await press(page, 'Control+y');
      expect(await nodeStates(page)).toEqual(final);

      // Reload right away: autosave had every edit.
      await page.reload();
      await ready(page);
      expect(await nodeStates(page)).toEqual(final);

      // Saved, then a node drag: the unsaved mark is back.
      await showPanel(page, 'workflows');
      await page.click('[data-testid="workflows-save"]');
      await expect.poll(async () => (await tabs(page)).find((t) => t.active)).toEqual({ title: 'changes e2e', dirty: false, active: true });
      const st = await titlePoint(page, sample.id);
      await drag(page, st, [st[0] + 40, st[1] + 30]);
      await settle(page);
      expect((await tabs(page)).find((t) => t.active)).toEqual({ title: 'changes e2e', dirty: true, active: true });
      expect(await page.evaluate(`${STORE}.dirty`)).toBe(true);
      expect(x.errors).toEqual([]);
    });
  }, 90_000);

  it('makes resize, unlink, title, colour, group, bypass, mute, paste and delete one undo step each', async () => {
    const x = await fresh({ dpr, answer: () => true });
    await withPage(x, `edits-${dpr}`, async (page) => {
      await dropWorkflow(page, TWO_NODES, 'two-nodes.json');
      const select = async (id: number) => {
        await page.mouse.click(...(await emptyPoint(page)));
        await page.waitForTimeout(350); // never a double click
        const p = await titlePoint(page, id);
        await page.mouse.click(p[0], p[1]);
        await settle(page);
      };
      const edits: [string, () => Promise<void>, (page: Page) => Promise<unknown>][] = [
        ['resize', async () => {
          const c = await cornerPoint(page, 1);
          await drag(page, c, [c[0] + 60, c[1] + 40]);
        }, async () => (await byId(page, 1)).size],
        ['unlink', async () => {
          const at = await toScreen(page, await page.evaluate(() => window.svdiff.studio.graph.getNodeById(2).getInputPos(0)));
          await drag(page, at, [at[0] - 60, at[1] + 260]);
          await page.keyboard.press('Escape');
        }, async () => (await byId(page, 2)).linkedInputs],
        ['title', async () => {
          // The title editor (litegraph's dialog, or an editor on the title bar) takes the focus.
          await menu(page, await titlePoint(page, 2), ['Title']);
          await page.waitForFunction(() => document.activeElement?.tagName === 'INPUT');
          await page.keyboard.press('Control+a');
          await page.keyboard.type('Renamed scale');
          await page.keyboard.press('Enter');
        }, async () => (await byId(page, 2)).title],
        ['colour', async () => {
          await menu(page, await titlePoint(page, 1), ['Colors', 'red']);
        }, async () => (await byId(page, 1)).color],
        ['group', async () => {
          await menu(page, await emptyPoint(page), ['Add Group']);
        }, () => page.evaluate(() => window.svdiff.studio.graph.groups.length)],
        ['bypass', async () => {
          await select(1);
          await page.keyboard.press('Control+b');
        }, async () => (await byId(page, 1)).mode],
        ['mute', async () => {
          await select(2);
          await page.keyboard.press('Control+m');
        }, async () => (await byId(page, 2)).mode],
        ['paste', async () => {
          await select(1);
          await page.keyboard.press('Control+c');
          const e = await emptyPoint(page);
          await page.mouse.move(e[0], e[1]);
          await page.keyboard.press('Control+v');
        }, async () => (await nodeStates(page)).length],
        ['delete', async () => {
          await select(2);
          await page.keyboard.press('Delete');
        }, async () => (await nodeStates(page)).length],
      ];
      for (const [name, perform, probe] of edits) {
        const before = { key: await graphKey(page), depth: (await tracker(page)).undo, value: await probe(page) };
        await perform();
        await settle(page);
        const after = await graphKey(page);
        expect(await probe(page), name).not.toEqual(before.value);
        expect(await tracker(page), `${name}: ${jsonDiff(before.key, after).join('; ')}`).toMatchObject({ undo: before.depth + 1, redo: 0, dirty: true });
        expect((await tabs(page)).find((t) => t.active)?.dirty, name).toBe(true);
        await page.waitForTimeout(400); // the next click is no double click (that opens the node search)
        await page.mouse.click(...(await emptyPoint(page)));
        await press(page, 'Control+z');
        expect(jsonDiff(before.key, await graphKey(page)), `${name} undone`).toEqual([]);
        await press(page, 'Control+y');
        expect(jsonDiff(after, await graphKey(page)), `${name} redone`).toEqual([]);
      }
      expect(x.errors).toEqual([]);
    });
  }, 120_000);

  it('offers no "Convert to Subgraph" and never loses the selected nodes', async () => {
    const x = await fresh({ dpr });
    await withPage(x, `subgraph-${dpr}`, async (page) => {
      await dropWorkflow(page, TWO_NODES, 'subgraph.json');
      const before = await graphKey(page);
      await page.mouse.click(...(await emptyPoint(page)));
      await page.keyboard.press('Control+a');
      await settle(page);
      expect(await page.evaluate(() => window.svdiff.studio.canvas.selectedItems.size)).toBe(2);
      await menu(page, await titlePoint(page, 1), []);
      const nodeMenu = await menuEntries(page);
      expect(nodeMenu.length).toBeGreaterThan(3);
      expect(nodeMenu.join('|')).not.toMatch(/Subgraph/);
      await page.keyboard.press('Escape');
      await page.mouse.click(...(await emptyPoint(page)), { button: 'left' });
      await page.keyboard.press('Control+a');
      await menu(page, await emptyPoint(page), []);
      expect((await menuEntries(page)).join('|')).not.toMatch(/Subgraph/);
      await page.keyboard.press('Escape');
      // The conversion itself (litegraph's API) refuses before it removes anything.
      await page.evaluate(() => window.svdiff.studio.graph.convertToSubgraph(window.svdiff.studio.canvas.selectedItems));
      await settle(page);
      expect(await graphKey(page)).toBe(before);
      await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/Subgraphs are not supported/)]));
      expect(x.errors).toEqual([]);
    });
  }, 60_000);

  it('opens a file whose nodes are smaller than their widgets unchanged: they grow before the first snapshot', async () => {
    const x = await fresh({ dpr });
    await withPage(x, `grow-${dpr}`, async (page) => {
      // svdiff-personalize as it shipped before: Spectral Shift Train 942 px tall, its widgets need 978.
      const wf = JSON.parse(readFileSync(join(repoRoot, 'workflows', 'svdiff-personalize.json'), 'utf8'));
      const train = wf.nodes.find((n: { type: string }) => n.type === 'SpectralShiftTrain');
      train.size = [300, 942];
      await dropWorkflow(page, wf, 'small-nodes.json');
      await page.waitForTimeout(300); // a few frames drawn
      const grown = await page.evaluate((id) => {
        const n = window.svdiff.studio.graph.getNodeById(id);
        const last = n.widgets[n.widgets.length - 1];
        return { height: n.size[1], lastWidgetEnd: last.y + (last.computedHeight ?? 24) };
      }, train.id);
      expect(grown.height).toBeGreaterThan(942);
      expect(grown.lastWidgetEnd).toBeLessThanOrEqual(grown.height + 1);
      await page.mouse.click(...(await emptyPoint(page))); // a gesture: the tracker compares
      await settle(page);
      expect(await tracker(page)).toMatchObject({ undo: 0, dirty: false });
      expect((await tabs(page)).find((t) => t.active)).toEqual({ title: 'small-nodes', dirty: false, active: true });
      // Nothing was edited: the next template opens without asking anything.
      await openTemplate(page, 'cosine-edit');
      expect(x.dialogs).toEqual([]);
      expect(x.errors).toEqual([]);
    });
  }, 60_000);

  it.each([
    [1600, 900],
    [1280, 720],
  ])('opens combine-shifts readable at %i×%i (scale ≥ 0.6, its start in view)', async (width, height) => {
    const x = await fresh({ dpr, viewport: { width, height } });
    await withPage(x, `readable-${dpr}-${width}`, async (page) => {
      await openTemplate(page, 'combine-shifts');
      const v = await view(page);
      const fitAll = await page.evaluate(() => {
        const s = window.svdiff.studio;
        const keep = { scale: s.canvas.ds.scale, offset: [...s.canvas.ds.offset] };
        s.fitView(); // the whole graph in view, as templates used to open
        const all = s.canvas.ds.scale;
        s.canvas.ds.scale = keep.scale;
        s.canvas.ds.offset = keep.offset;
        return all;
      });
      console.log(`combine-shifts at ${width}×${height}, dpr ${dpr}: scale ${v.scale.toFixed(2)} (whole graph fitted: ${fitAll.toFixed(2)})`);
      expect(v.scale).toBeGreaterThanOrEqual(0.6);
      // Load Model (the graph's top-left node) is on screen with its title.
      const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
      const model = await byType(page, 'LoadModel');
      const [left, top] = await toScreen(page, [model.pos[0], model.pos[1] - 30]);
      const [right] = await toScreen(page, [model.pos[0] + model.size[0], model.pos[1]]);
      expect(left).toBeGreaterThanOrEqual(box.x);
      expect(top).toBeGreaterThanOrEqual(box.y);
      expect(right).toBeLessThanOrEqual(box.x + box.width);
      // 12 px text is drawn at 7 px or more: titles are shown (not the low-quality view).
      expect(await page.evaluate(() => window.svdiff.studio.canvas.low_quality)).toBe(false);
    });
  }, 60_000);
});

describe('tabs', () => {
  it('keeps each tab\'s graph, undo history, unsaved mark and view; asks before closing a changed one; survives a reload', async () => {
    let answer: boolean = true;
    const x = await fresh({ answer: () => answer });
    await withPage(x, 'tabs', async (page) => {
      // A first visit opens a template: unchanged (its nodes grew to fit before the first snapshot).
      await page.waitForTimeout(400);
      expect(await tabs(page)).toEqual([{ title: 'svdiff-personalize (template)', dirty: false, active: true }]);
      expect(await tracker(page)).toMatchObject({ undo: 0, dirty: false });
      const outside = await page.evaluate(() =>
        window.svdiff.studio.graph.nodes.filter((n: any) => (n.widgets ?? []).some((w: any) => w.y + (w.computedHeight ?? 20) > n.size[1] + 1)).map((n: any) => n.type),
      );
      expect(outside).toEqual([]);
      const personalize = await graphKey(page);
      const v1 = await view(page);

      // Another template: its own tab, no "Discard unsaved changes?".
      await openTemplate(page, 'combine-shifts');
      expect(x.dialogs).toEqual([]);
      expect(await tabs(page)).toEqual([
        { title: 'svdiff-personalize (template)', dirty: false, active: false },
        { title: 'combine-shifts (template)', dirty: false, active: true },
      ]);
      const model = await byType(page, 'LoadModel');
      const t = await titlePoint(page, model.id);
      await drag(page, t, [t[0] + 50, t[1] + 40]);
      await settle(page);
      const moved = (await byType(page, 'LoadModel')).pos;
      const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -300);
      await settle(page);
      const v2 = await view(page);
      expect(v2).not.toEqual(v1);
      expect((await tabs(page))[1].dirty).toBe(true);

      // Back to the first tab: its graph and view, unchanged.
      await clickTab(page, 'svdiff-personalize (template)');
      expect(await graphKey(page)).toBe(personalize);
      expect(await view(page)).toEqual(v1);
      expect(await tracker(page)).toMatchObject({ undo: 0, dirty: false });

      // And again to the second: the move, the view, the unsaved mark and the undo history.
      await clickTab(page, 'combine-shifts (template)');
      expect((await byType(page, 'LoadModel')).pos).toEqual(moved);
      expect(await view(page)).toEqual(v2);
      expect((await tabs(page))[1].dirty).toBe(true);
      await press(page, 'Control+z');
      expect((await byType(page, 'LoadModel')).pos).toEqual(model.pos);
      expect((await tabs(page))[1].dirty).toBe(false);
      await press(page, 'Control+y');
      expect((await tabs(page))[1].dirty).toBe(true);

      // A reload brings back every tab, the active one with its edit and view.
      await page.reload();
      await ready(page);
      expect(await tabs(page)).toEqual([
        { title: 'svdiff-personalize (template)', dirty: false, active: false },
        { title: 'combine-shifts (template)', dirty: true, active: true },
      ]);
      expect((await byType(page, 'LoadModel')).pos).toEqual(moved);
      const v3 = await view(page);
      expect(v3.scale).toBeCloseTo(v2.scale, 5);
      expect(v3.offset[0]).toBeCloseTo(v2.offset[0], 3);

      // Closing the changed tab asks; "Cancel" keeps it, "OK" closes it.
      answer = false;
      await page.locator('[data-testid="workflow-tab"]').nth(1).locator('[data-testid="workflow-tab-close"]').click();
      expect(x.dialogs.at(-1)?.message).toMatch(/combine-shifts.*unsaved/);
      expect(await tabs(page)).toHaveLength(2);
      answer = true;
      await page.locator('[data-testid="workflow-tab"]').nth(1).locator('[data-testid="workflow-tab-close"]').click();
      await settle(page);
      expect(await tabs(page)).toEqual([{ title: 'svdiff-personalize (template)', dirty: false, active: true }]);
      expect(await graphKey(page)).toBe(personalize);
      expect(x.dialogs).toHaveLength(2);
      expect(x.errors).toEqual([]);
    });
  }, 90_000);
});

describe('history, rename, import', () => {
  it('opens the workflow of a past run in a tab, and says so when a run has none', async () => {
    const x = await fresh();
    await withPage(x, 'history', async (page) => {
      const wf = {
        last_node_id: 2,
        last_link_id: 1,
        nodes: [
          { id: 1, type: 'LoadImage', pos: [0, 0], size: [300, 100], mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }], widgets_values: ['red-circle-blue.png'] },
          { id: 2, type: 'PreviewImage', pos: [400, 0], size: [300, 60], mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 1 }] },
        ],
        links: [[1, 1, 0, 2, 0, 'IMAGE']],
        groups: [],
        config: {},
        extra: {},
        version: 0.4,
      };
      await dropWorkflow(page, wf, 'run-me.json');
      await page.evaluate(async () => {
        const w = window;
        w.runs = 0;
        w.svdiff.api.on('execution_success', () => w.runs++);
        await w.svdiff.queue();
      });
      await page.waitForFunction(() => window.runs === 1, undefined, { timeout: 30_000 });
      // The images arrived and the nodes grew to show them: layout, not an edit.
      await page.waitForFunction(() => window.svdiff.live(2)?.images?.length > 0);
      await settle(page);
      expect((await byId(page, 2)).size[1]).toBeGreaterThan(200);
      await page.mouse.click(...(await emptyPoint(page)));
      await settle(page);
      expect(await tracker(page)).toMatchObject({ undo: 0, dirty: false });
      await showPanel(page, 'queue');
      await expect.poll(() => page.locator('[data-testid="queue-history"]').count()).toBe(1);
      const before = (await tabs(page)).length;
      await page.locator('[data-testid="queue-history"] .grow').first().click();
      await expect.poll(async () => (await tabs(page)).length).toBe(before + 1);
      await settle(page);
      expect((await nodeStates(page)).map((n) => [n.type, n.linkedInputs])).toEqual([['LoadImage', []], ['PreviewImage', ['images']]]);
      expect(x.errors.filter((e) => /DataCloneError|structuredClone/.test(e))).toEqual([]);

      // A prompt queued through the API alone carries no workflow.
      const res = await fetch(`${server.url}/api/prompt`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt: { 1: { class_type: 'LoadImage', inputs: { image: 'red-circle-blue.png' } }, 2: { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'bilinear', width: 8, height: 8, crop: 'disabled' } }, 3: { class_type: 'PreviewImage', inputs: { images: ['2', 0] } } } }),
      });
      expect(res.status).toBe(200);
      await expect.poll(() => page.locator('[data-testid="queue-history"]').count(), { timeout: 30_000 }).toBe(2);
      const key = await graphKey(page);
      await page.locator('[data-testid="queue-history"] .grow').first().click();
      await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/no workflow/)]));
      expect((await tabs(page)).length).toBe(before + 1);
      expect(await graphKey(page)).toBe(key);
      expect(x.errors).toEqual([]);
    });
  }, 90_000);

  it('keeps an imported file\'s name, and renames a saved workflow\'s file from the Workflows panel', async () => {
    let prompt: string | null = null;
    const x = await fresh({ answer: (d) => (d.type === 'prompt' ? prompt ?? d.defaultValue : true) });
    await withPage(x, 'rename', async (page) => {
      await dropWorkflow(page, TWO_NODES, 'imported-flow.json');
      expect((await tabs(page)).find((t) => t.active)).toEqual({ title: 'imported-flow', dirty: false, active: true });
      await showPanel(page, 'workflows');
      await page.click('[data-testid="workflows-save"]');
      expect(x.dialogs.at(-1)).toMatchObject({ type: 'prompt', defaultValue: 'imported-flow' });
      await page.waitForSelector('[data-testid="workflow-imported-flow"]');
      expect(existsSync(join(server.dataDir, 'workflows', 'imported-flow.json'))).toBe(true);

      prompt = 'renamed flow';
      await page.click('[data-testid="workflow-imported-flow"] [data-testid="workflow-rename"]');
      await page.waitForSelector('[data-testid="workflow-renamed flow"]');
      expect(await page.locator('[data-testid="workflow-imported-flow"]').count()).toBe(0);
      expect(existsSync(join(server.dataDir, 'workflows', 'renamed flow.json'))).toBe(true);
      expect(existsSync(join(server.dataDir, 'workflows', 'imported-flow.json'))).toBe(false);
      expect((await tabs(page)).find((t) => t.active)).toEqual({ title: 'renamed flow', dirty: false, active: true });
      // Save goes to the renamed file, without asking.
      const asked = x.dialogs.length;
      await page.click('[data-testid="workflows-save"]');
      await expect.poll(() => page.locator('[data-testid="toast"]').allTextContents()).toEqual(expect.arrayContaining(['Saved renamed flow']));
      expect(x.dialogs.length).toBe(asked);
      expect(x.errors).toEqual([]);
    });
  }, 60_000);
});

describe('combine-shifts on a fresh data folder', () => {
  it('runs from the Templates panel: its shift files are there', async () => {
    const x = await fresh();
    await withPage(x, 'combine-run', async (page) => {
      await openTemplate(page, 'combine-shifts');
      const result = await page.evaluate(async () => {
        const w = window;
        // Two sampling steps: the graph is exercised, not the pictures.
        for (const n of w.svdiff.studio.graph.nodes) if (n.type === 'Sample') n.widgets.find((v: any) => v.name === 'steps').value = 2;
        return await new Promise((resolve) => {
          w.svdiff.api.on('execution_success', () => resolve('success'));
          w.svdiff.api.on('execution_error', (d: any) => resolve(`error: ${d.exception_message}`));
          void w.svdiff.queue().then((id: string | undefined) => id || resolve('not queued'));
        });
      });
      expect(result).toBe('success');
      expect((await page.locator('[data-testid="toast"]').allTextContents()).join('\n')).not.toMatch(/not in \[\]|not found in shifts/);
      expect(x.errors).toEqual([]);
    });
  }, 180_000);
});
