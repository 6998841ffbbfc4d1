// Shared helpers for the server tests: a real server on an ephemeral port (in-process or as a
// spawned CLI), raw HTTP requests (full control over Host/Origin headers), a WebSocket client
// that records messages, and small prompts built from the fixture nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createServer, type RunningServer } from '../../server/http/server.ts';
import type { ServerOptions } from '../../server/config.ts';
import type { ApiPrompt } from '../../nodes/define.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixtureNodes = join(repoRoot, 'test/fixtures/nodes');

const made: string[] = [];
process.once('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under the system temp dir, removed when the test process exits. */
export function tempDir(prefix = 'svdiff-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export interface TestServer extends RunningServer {
  dataDir: string;
}

/** An in-process server on 127.0.0.1:<free port> with the fixture nodes and a fresh data folder. */
export async function startServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const s = await createServer({ host: '127.0.0.1', port: 0, nodesDir: fixtureNodes, interruptGraceMs: 2000, ...opts, dataDir });
  return {
    ...s,
    dataDir,
    close: async () => {
      await s.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: any;
}

/** One HTTP request with exactly the headers given (Host defaults to the URL's). */
export function req(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h: Record<string, string> = { ...headers };
    if (data && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    if (data) h['Content-Length'] = String(data.length);
    const r = httpRequest(url, { method, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = JSON.parse(b.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json });
      });
    });
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}

/** A multipart/form-data body. */
export function multipart(fields: Record<string, string>, file?: { field: string; name: string; data: Buffer; type?: string }): { body: Buffer; contentType: string } {
  const boundary = `----svdiff${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface WsMessage {
  type: string;
  data: any;
}

export class WsClient {
  readonly messages: WsMessage[] = [];
  readonly binary: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary) this.binary.push(Buffer.from(raw));
      else this.messages.push(JSON.parse(raw.toString('utf8')) as WsMessage);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, clientId: string, headers: Record<string, string> = {}, query = ''): Promise<WsClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}${query}`, { headers });
    const c = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_r, res) => reject(new Error(`ws refused: ${res.statusCode}`)));
    });
  }

  /** Resolves with the first recorded message matching `pred` (past or future). */
  async waitFor(pred: (m: WsMessage) => boolean, timeoutMs = 30_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching ws message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  forPrompt(promptId: string): WsMessage[] {
    return this.messages.filter((m) => m.data?.prompt_id === promptId);
  }

  close(): void {
    this.ws.close();
  }
}

/** Constant → [middle node] → SavePng. */
export function chain(value: number, middle?: { class_type: string; inputs: Record<string, unknown> }, prefix = 'test'): ApiPrompt {
  const p: ApiPrompt = { '1': { class_type: 'TestConstant', inputs: { value } } };
  if (middle) {
    p['2'] = { class_type: middle.class_type, inputs: { value: ['1', 0], ...middle.inputs } };
    p['3'] = { class_type: 'TestSavePng', inputs: { value: ['2', 0], filename_prefix: prefix } };
  } else {
    p['3'] = { class_type: 'TestSavePng', inputs: { value: ['1', 0], filename_prefix: prefix } };
  }
  return p;
}

export async function queuePrompt(url: string, prompt: ApiPrompt, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await req(`${url}/api/prompt`, 'POST', { prompt, ...extra });
  if (r.status !== 200) throw new Error(`queueing failed: ${r.status} ${r.body.toString()}`);
  return r.json.prompt_id as string;
}

/** Polls history until the prompt is there. */
export async function waitForHistory(url: string, promptId: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await req(`${url}/api/history/${promptId}`);
    if (r.json?.[promptId]) return r.json[promptId];
    if (Date.now() > deadline) throw new Error(`prompt ${promptId} did not finish`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/** Polls until `pred()` holds. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal). */
  exited: Promise<number | string>;
}

/** `node bin/svdiff-studio.js serve …` with the fixture nodes; resolves once it prints its URL. */
export function spawnServer(args: string[], timeoutMs = 60_000): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/svdiff-studio.js'), 'serve', '--port', '0', '--nodes-dir', fixtureNodes, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /SVDiff Studio listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1].replace('0.0.0.0', '127.0.0.1'), child, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
}
