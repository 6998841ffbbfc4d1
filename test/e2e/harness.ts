// Shared pieces of the browser tests and the client benchmark: the real server on port 0
// with a temporary data folder, and Chromium driven by playwright-core.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface RunningServer {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `svdiff-studio serve --port 0` and waits for its "listening on" line. */
export async function startServer(opts: { dataDir?: string; port?: number } = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'svdiff-e2e-'));
  const proc = spawn(process.execPath, [join(repoRoot, 'bin/svdiff-studio.js'), 'serve', '--port', String(opts.port ?? 0), '--data-dir', dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    dataDir,
    proc,
    output: () => log,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The browser to drive: `CHROMIUM_PATH` when set, else the Chromium binary that the
 * `@sparticuz/chromium` npm package carries (unpacked to the temp folder on first use), so
 * `npm install` alone brings everything the browser tests need — no system package, no download.
 */
export async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS });
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** Builds client/dist when it is missing or older than the client's sources. */
export function ensureClientBuilt(): void {
  const index = join(repoRoot, 'client/dist/index.html');
  const client = join(repoRoot, 'client');
  const sources = Math.max(newestMtime(join(client, 'src')), newestMtime(join(client, 'index.html')), newestMtime(join(client, 'vite.config.ts')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(client, 'vite.config.ts'), '--logLevel', 'error'], { cwd: repoRoot, stdio: 'inherit' });
}

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any;

/**
 * Queues the graph on the page's canvas, waits until the run ends (success, error or
 * interrupt), then screenshots the fitted canvas with the gallery open to `out`.
 */
export async function queueAndScreenshot(page: Page, out: string, o: { timeoutMs: number; pollMs: number; fit?: boolean }): Promise<void> {
  await page.evaluate(() => {
    const w = window;
    w.finished = false;
    for (const t of ['execution_success', 'execution_error', 'execution_interrupted']) w.svdiff.api.on(t, () => (w.finished = true));
  });
  await page.click('[data-testid="queue"]');
  await page.waitForFunction(() => window.finished, undefined, { timeout: o.timeoutMs, polling: o.pollMs });
  // fit: false keeps the view the workflow opened with (templates open at a readable scale).
  await page.evaluate((fit) => {
    window.svdiff.studio.canvas.deselectAll();
    if (fit) window.svdiff.studio.fitView();
  }, o.fit ?? true);
  await page.click('[data-testid="tab-gallery"]');
  await page.waitForTimeout(1500);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
}

/** A w×h PNG with a pattern that depends on `seed`: input images for the browser tests. */
export function testPng(w: number, h: number, seed: number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = (i * seed) % 256;
    png.data[i * 4 + 1] = ((i % w) * 4) % 256;
    png.data[i * 4 + 2] = 128;
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Screenshots the page to test-results/<prefix><test name>.png when the test fails. */
export function screenshotOnFailure(ctx: { task: { name: string }; onTestFailed: (fn: () => Promise<void>) => void }, page: () => Page | undefined, prefix = 'e2e-'): void {
  ctx.onTestFailed(async () => {
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page()?.screenshot({ path: join(repoRoot, 'test-results', `${prefix}${name}.png`) }).catch(() => {});
  });
}

/**
 * A fresh data folder whose input/ holds `a-subject/img0…2.png` (32×32) and `photo.png` (40×30).
 * 'a-subject' sorts before the example assets (heart/, moon/) the server copies into input/, so
 * it is the folder a new Load Images node offers first.
 */
export function dataDirWithInputs(prefix = 'svdiff-e2e-'): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dataDir, 'input', 'a-subject'), { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(dataDir, 'input', 'a-subject', `img${i}.png`), testPng(32, 32, i + 3));
  writeFileSync(join(dataDir, 'input', 'photo.png'), testPng(40, 30, 7));
  return dataDir;
}

/** A 1400×860 page that collects uncaught page errors and accepts dialogs, answering prompts with `answer`. */
export async function newStudioPage(browser: Browser, errors: string[], answer: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept(answer) : d.accept()));
  return { context, page };
}
