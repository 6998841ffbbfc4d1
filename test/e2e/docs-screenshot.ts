// Takes the README screenshot: the studio with an example workflow after a run.
//   npx tsx test/e2e/docs-screenshot.ts [template-name] [out.png] [WIDTHxHEIGHT]
// With a template name (workflows/<name>.json) it opens that template from the Templates
// tab and keeps the view it opens with; without one it builds a small image workflow and fits
// it. Output: docs/studio.png, 1600×900 unless a size is given.
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ensureClientBuilt, launchBrowser, queueAndScreenshot, repoRoot, startServer } from './harness.ts';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any;

function samplePng(w: number, h: number, hue: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const r = Math.hypot(x - w / 2, y - h / 2) / (w / 2);
      png.data[i] = Math.round(127 + 127 * Math.sin(hue + r * 4));
      png.data[i + 1] = Math.round(127 + 127 * Math.sin(hue + 2 + x / 9));
      png.data[i + 2] = Math.round(127 + 127 * Math.cos(hue + y / 7));
      png.data[i + 3] = 255;
    }
  return PNG.sync.write(png);
}

const template = process.argv[2];
const out = process.argv[3] ?? join(repoRoot, 'docs', 'studio.png');
const [width, height] = (process.argv[4] ?? '1600x900').split('x').map(Number);

ensureClientBuilt();
const dataDir = mkdtempSync(join(tmpdir(), 'svdiff-shot-'));
mkdirSync(join(dataDir, 'input', 'subject'), { recursive: true });
for (let i = 0; i < 4; i++) writeFileSync(join(dataDir, 'input', 'subject', `photo${i}.png`), samplePng(96, 96, i * 1.3));
writeFileSync(join(dataDir, 'input', 'example.png'), samplePng(128, 96, 0.5));
// The example workflows' own input images (workflows/assets) go where Load Image(s) look.
const assets = join(repoRoot, 'workflows', 'assets');
if (existsSync(assets)) cpSync(assets, join(dataDir, 'input'), { recursive: true });
const server = await startServer({ dataDir });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('dialog', (d) => void d.accept());
  await page.goto(server.url);
  await page.waitForFunction(() => window.svdiff?.studio && window.svdiff.studio.graph);
  await page.waitForSelector('[data-testid="lib-node-SaveImage"]');
  if (template) {
    await page.click('[data-testid="tab-templates"]');
    await page.click(`[data-testid="template-${template}"] .grow`);
  } else {
    await page.click('[data-testid="new"]');
    await page.evaluate(() => {
      const s = window.svdiff.studio;
      const imgs = s.addNode('LoadImages', [230, 170]);
      const grid = s.addNode('ImageGrid', [620, 170]);
      const save = s.addNode('SaveImage', [1020, 260]);
      const load = s.addNode('LoadImage', [230, 520]);
      const scale = s.addNode('ImageScale', [620, 520]);
      const prev = s.addNode('PreviewImage', [1020, 640]);
      imgs.connect(0, grid, 0);
      grid.connect(0, save, 0);
      load.connect(0, scale, 0);
      scale.connect(0, prev, 0);
      grid.widgets.find((w: any) => w.name === 'columns').value = 2;
      grid.widgets.find((w: any) => w.name === 'padding').value = 4;
      scale.widgets.find((w: any) => w.name === 'width').value = 256;
      scale.widgets.find((w: any) => w.name === 'height').value = 192;
      s.tracker.check();
    });
  }
  await queueAndScreenshot(page, out, { timeoutMs: 600_000, pollMs: 500, fit: !template });
} finally {
  await browser.close();
  await server.stop();
}
