// The studio in headless Chromium: first load of the page (cold cache, until the canvas and
// node library are ready) and panning a 300-node graph (frames per second while dragging,
// and the canvas's own draw time per frame). Run: npx tsx bench/client.ts
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureClientBuilt, launchBrowser, startServer } from '../test/e2e/harness.ts';
import { median } from './stats.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any, performance: any, requestAnimationFrame: any;

const NODE_TYPES = ['LoadImage', 'ImageScale', 'ImageCrop', 'ImageGrid', 'SaveImage', 'PreviewImage'];

export async function run(): Promise<void> {
  ensureClientBuilt();
  // Figures depend on what else runs: print the machine's load with them.
  console.log(`load average at start: ${loadavg()[0].toFixed(1)}`);
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    // First load: a fresh context each time, so nothing is cached.
    const loads: number[] = [];
    const domReady: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } });
      const page = await ctx.newPage();
      const t0 = Date.now();
      await page.goto(server.url);
      await page.waitForFunction(() => window.svdiff?.studio && document.querySelector('[data-testid="lib-node-SaveImage"]'), undefined, { polling: 10 });
      loads.push(Date.now() - t0);
      domReady.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd));
      await ctx.close();
    }
    console.log(`first load until ready (ms): median ${median(loads)}, max ${Math.max(...loads)} over ${loads.length} cold loads`);
    console.log(`DOMContentLoaded (ms): median ${median(domReady).toFixed(0)}`);

    // 300 nodes in a grid, chained by IMAGE links where types allow.
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await ctx.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.svdiff?.studio && document.querySelector('[data-testid="lib-node-SaveImage"]'));
    page.on('dialog', (d) => void d.accept());
    await page.click('[data-testid="new"]'); // the first visit opened an example workflow
    await page.click('[data-testid="tab-nodes"]'); // close the sidebar: a wider canvas
    const placed = await page.evaluate((types: string[]) => {
      const s = window.svdiff.studio;
      let prev: any = null;
      for (let i = 0; i < 300; i++) {
        const n = s.addNode(types[i % types.length], [(i % 20) * 300, Math.floor(i / 20) * 260]);
        if (prev && prev.outputs?.length && n.inputs?.length) prev.connect(0, n, 0);
        prev = n.outputs?.length ? n : null;
      }
      return { nodes: s.graph.nodes.length, links: s.graph.links.size ?? Object.keys(s.graph.links).length };
    }, NODE_TYPES);
    console.log(`graph: ${placed.nodes} nodes, ${placed.links} links`);

    for (const [label, scale] of [
      ['zoom 1 (a screenful of nodes)', 1],
      ['zoom 0.2 (all 300 nodes visible)', 0.2],
    ] as const) {
      await page.evaluate((scale: number) => {
        const c = window.svdiff.studio.canvas;
        c.ds.scale = scale;
        c.ds.offset = [40, 40];
        c.setDirty(true, true);
        // Count frames and time the canvas's own drawing.
        const w = window as any;
        w.benchDraws = [];
        if (!w.benchWrapped) {
          const draw = c.draw.bind(c);
          c.draw = (...a: unknown[]) => {
            const dirty = c.dirty_canvas || c.dirty_bgcanvas; // draw() returns at once when clean
            const t = performance.now();
            draw(...a);
            if (dirty) w.benchDraws.push(performance.now() - t);
          };
          w.benchWrapped = true;
        }
        w.benchFrames = [];
        // (A property, not a named const: tsx would wrap a named one in a helper the page lacks.)
        w.benchTick = (t: number) => {
          w.benchFrames.push(t);
          if (w.benchFrames.length < 100000) requestAnimationFrame(w.benchTick);
        };
        requestAnimationFrame(w.benchTick);
      }, scale);
      const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      const start = Date.now();
      let i = 0;
      // Pan in a circle for 3 s (dragging empty canvas moves the view).
      await page.evaluate(() => ((window as any).benchFrames = []));
      await page.evaluate(() => ((window as any).benchDraws = []));
      while (Date.now() - start < 3000) {
        const a = i++ / 10;
        await page.mouse.move(cx + Math.cos(a) * 200, cy + Math.sin(a) * 150);
      }
      await page.mouse.up();
      const r = await page.evaluate(() => {
        const w = window as any;
        const f: number[] = w.benchFrames;
        const d: number[] = [...w.benchDraws].sort((a: number, b: number) => a - b);
        const span = (f[f.length - 1] - f[0]) / 1000;
        return { fps: (f.length - 1) / span, redrawsPerS: d.length / span, draws: d.length, drawMedian: d[Math.floor(d.length / 2)], drawP95: d[Math.floor(d.length * 0.95)], visible: w.svdiff.studio.canvas.visible_nodes?.length };
      });
      console.log(
        `panning at ${label}: ${r.fps.toFixed(1)} animation frames/s, ${r.redrawsPerS.toFixed(1)} canvas redraws/s (the view changes once per mouse move), ` +
          `draw time median ${r.drawMedian.toFixed(1)} ms, p95 ${r.drawP95.toFixed(1)} ms (= ${(1000 / r.drawP95).toFixed(0)} fps at p95), ${r.visible ?? '?'} nodes drawn`,
      );
    }
    await ctx.close();
  } finally {
    await browser.close();
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
