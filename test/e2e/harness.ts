// Shared pieces of the browser tests and the client benchmark: the real server on port 0
// with a temporary data folder, and Chromium driven by playwright-core.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

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
export async function queueAndScreenshot(page: Page, out: string, o: { timeoutMs: number; pollMs: number }): Promise<void> {
  await page.evaluate(() => {
    const w = window;
    w.finished = false;
    for (const t of ['execution_success', 'execution_error', 'execution_interrupted']) w.svdiff.api.on(t, () => (w.finished = true));
  });
  await page.click('[data-testid="queue"]');
  await page.waitForFunction(() => window.finished, undefined, { timeout: o.timeoutMs, polling: o.pollMs });
  await page.evaluate(() => {
    window.svdiff.studio.canvas.deselectAll();
    window.svdiff.studio.fitView();
  });
  await page.click('[data-testid="tab-gallery"]');
  await page.waitForTimeout(1500);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
}
