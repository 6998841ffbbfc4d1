// Findings of an outside probe, each pinned down: bodies read as JSON whatever their
// Content-Type, size and nesting caps (a deep extra_data used to wedge the queue), decompression
// bombs refused from the header with decodes limited in number, 500s that do not leak paths, and
// history held by bytes as well as by count.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import { HistoryStore, type HistoryEntry } from '../../server/engine/history-store.ts';
import { errorHandler } from '../../server/http/errors.ts';
import { checkImage, checkDecodeBudget, decodeSlots, ImageTooLargeError, MAX_DECODED_BYTES, readImageHeader, Semaphore } from '../../server/http/image-check.ts';
import { jsonDeeperThan, MAX_JSON_DEPTH, SMALL_BODY_LIMIT_BYTES, WORKFLOW_BODY_LIMIT_BYTES } from '../../server/http/json-body.ts';
import { chain, multipart, req, startServer, tempDir, waitForHistory, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('request bodies', () => {
  it('reads a POST body as JSON whatever its Content-Type (urllib form-urlencoded, text/plain, none given)', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream']) {
      const r = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(7), client_id: type }), { 'Content-Type': type });
      expect(r.status, type).toBe(200);
      expect(typeof r.json.prompt_id).toBe('string');
      expect((await waitForHistory(server.url, r.json.prompt_id)).prompt[3]).toEqual({ client_id: type });
    }
    const del = await req(`${server.url}/api/history`, 'POST', '{"delete": ["nope"]}', { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(del.status).toBe(200);
  });

  it('treats an empty body as {} and answers bad JSON with a 400 JSON error', async () => {
    expect((await req(`${server.url}/api/interrupt`, 'POST', '', { 'Content-Type': 'text/plain' })).status).toBe(200);
    expect((await req(`${server.url}/api/queue`, 'POST', Buffer.alloc(0))).status).toBe(200);
    const bad = await req(`${server.url}/api/prompt`, 'POST', '{"prompt": ', { 'Content-Type': 'text/plain' });
    expect([bad.status, bad.json.error.type]).toEqual([400, 'invalid_json']);
    expect(bad.json.error.message).toMatch(/not valid JSON/);
  });

  it('refuses JSON nested deeper than the limit on every route, without a stack overflow', async () => {
    const deep = '['.repeat(4500) + ']'.repeat(4500);
    const routes: Array<[string, string]> = [
      ['POST', '/api/prompt'],
      ['POST', '/api/queue'],
      ['POST', '/api/history'],
      ['POST', '/api/interrupt'],
      ['PUT', '/api/workflows/deep'],
      ['POST', '/prompt'],
    ];
    for (const [method, path] of routes) {
      for (const body of [deep, nested(4500)]) {
        const r = await req(`${server.url}${path}`, method, body);
        expect(r.status, path).toBe(400);
        expect(r.json.error).toMatchObject({ type: 'invalid_request', message: `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels` });
      }
    }
  });

  it('refuses a valid prompt whose extra_data is 4,000 levels deep at POST, and the queue goes on', async () => {
    const body = `{"prompt": ${JSON.stringify(chain(3))}, "extra_data": ${nested(4000)}}`;
    const r = await req(`${server.url}/api/prompt`, 'POST', body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(readdirSync(join(server.dataDir, 'queue'))).toEqual([]);
    // Just inside the limit is fine (the prompt wrapper takes one level).
    const ok = await req(`${server.url}/api/prompt`, 'POST', `{"prompt": ${JSON.stringify(chain(4))}, "extra_data": ${nested(MAX_JSON_DEPTH - 1)}}`);
    expect(ok.status).toBe(200);
    expect((await waitForHistory(server.url, ok.json.prompt_id)).status.status_str).toBe('success');
  });

  it('refuses a queue number that is not a whole number within ±(2³¹ − 1); later prompts keep counting', async () => {
    for (const number of [1e308, -1e308, 1.5, 2 ** 31, '3', Number.NaN]) {
      const r = await req(`${server.url}/api/prompt`, 'POST', `{"prompt": ${JSON.stringify(chain(8))}, "number": ${typeof number === 'string' ? `"${number}"` : String(number)}}`);
      expect(r.status, String(number)).toBe(400);
    }
    const ok = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(9), number: 5 });
    expect(ok.status).toBe(200);
    const next = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(10) });
    expect(next.json.number).toBeLessThan(1e6);
    await waitForHistory(server.url, next.json.prompt_id);
  });

  it('counts only brackets outside strings', () => {
    const text = (s: string) => Buffer.from(s);
    expect(jsonDeeperThan(text(`{"a": "${'['.repeat(500)}"}`), 2)).toBe(false);
    expect(jsonDeeperThan(text(`{"a": "\\"${'{'.repeat(500)}"}`), 2)).toBe(false);
    expect(jsonDeeperThan(text(`{"é\\\\": [[1]]}`), 3)).toBe(false);
    expect(jsonDeeperThan(text(`{"é\\\\": [[[1]]]}`), 3)).toBe(true);
    expect(jsonDeeperThan(text('['.repeat(100_000)), 128)).toBe(true);
  });

  it('caps body sizes: 1 MiB for small routes, 32 MiB for /prompt and /workflows', async () => {
    expect(WORKFLOW_BODY_LIMIT_BYTES).toBe(32 * 1024 * 1024);
    const filler = (bytes: number) => `{"delete": [], "pad": "${'x'.repeat(bytes)}"}`;
    const small = await req(`${server.url}/api/queue`, 'POST', filler(SMALL_BODY_LIMIT_BYTES + 10));
    expect([small.status, small.json.error.type]).toEqual([413, 'body_too_large']);
    // A 2 MiB prompt (a large UI workflow in extra_pnginfo) is still accepted.
    const big = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(5), extra_data: { extra_pnginfo: { pad: 'y'.repeat(2 * 1024 * 1024) } } }));
    expect(big.status).toBe(200);
    const huge = await req(`${server.url}/api/prompt`, 'POST', filler(WORKFLOW_BODY_LIMIT_BYTES + 10));
    expect([huge.status, huge.json.error.type]).toEqual([413, 'body_too_large']);
    await waitForHistory(server.url, big.json.prompt_id);
  });
});

/** A PNG whose header declares `w`×`h` at `depth` bits, colour type `colorType`, with a token IDAT: the header is all the check reads. */
function pngHeaderOnly(w: number, h: number, depth: number, colorType: number): Buffer {
  const png = new PNG({ width: 1, height: 1 });
  const real = PNG.sync.write(png);
  real.writeUInt32BE(w, 16);
  real.writeUInt32BE(h, 20);
  real[24] = depth;
  real[25] = colorType;
  return real;
}

/** A JPEG with only SOI, a baseline SOF0 (`w`×`h`, 3 components) and EOI. */
function jpegHeaderOnly(w: number, h: number): Buffer {
  const sof = [0xff, 0xc0, 0x00, 0x11, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return Buffer.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}

function uploadImage(name: string, data: Buffer) {
  const m = multipart({}, { field: 'image', name, data, type: 'image/png' });
  return req(`${server.url}/api/upload/image`, 'POST', m.body, { 'Content-Type': m.contentType });
}

describe('decompression bombs', () => {
  it('refuses an 8000×8000 16-bit RGBA PNG from its header, at once, with 413', async () => {
    const started = Date.now();
    const r = await uploadImage('bomb.png', pngHeaderOnly(8000, 8000, 16, 6));
    expect(Date.now() - started).toBeLessThan(2000);
    expect([r.status, r.json.error.type]).toEqual([413, 'image_too_large']);
    expect(r.json.error.message).toMatch(/8000×8000 16-bit 4-channel PNG takes 489 MiB to decode, more than the 64 MiB limit/);
    const jpg = await uploadImage('bomb.jpg', jpegHeaderOnly(20000, 20000));
    expect([jpg.status, jpg.json.error.type]).toEqual([413, 'image_too_large']);
    expect(readdirSync(join(server.dataDir, 'input'))).not.toContain('bomb.png');
  });

  it('budgets width × height × bytes per pixel: 4096² 8-bit RGBA fits, one more row or 16 bits does not', () => {
    expect(MAX_DECODED_BYTES).toBe(4096 * 4096 * 4);
    const fits = (w: number, h: number, depth: number, type: number) => {
      try {
        checkDecodeBudget(readImageHeader(pngHeaderOnly(w, h, depth, type)));
        return true;
      } catch (e) {
        expect(e).toBeInstanceOf(ImageTooLargeError);
        return false;
      }
    };
    expect(fits(4096, 4096, 8, 6)).toBe(true);
    expect(fits(4096, 4096, 8, 2)).toBe(true);
    expect(fits(4096, 4096, 1, 0)).toBe(true);
    expect(fits(4096, 4097, 8, 6)).toBe(false);
    expect(fits(4096, 4096, 16, 6)).toBe(false);
    expect(fits(4096, 2048, 16, 6)).toBe(true);
    expect(readImageHeader(jpegHeaderOnly(300, 200))).toMatchObject({ format: 'jpeg', width: 300, height: 200, bitDepth: 8, channels: 3 });
  });

  it('accepts a real 4096×4096 RGBA PNG', async () => {
    const png = new PNG({ width: 4096, height: 4096 });
    const data = PNG.sync.write(png, { filterType: 0, deflateLevel: 1 });
    const r = await uploadImage('large.png', data);
    expect(r.status, r.body.toString()).toBe(200);
  });

  it('runs at most two decodes at once; the others wait their turn', async () => {
    const png = new PNG({ width: 64, height: 64 });
    const bytes = PNG.sync.write(png);
    decodeSlots.peak = 0;
    const results = await Promise.all(Array.from({ length: 6 }, () => checkImage(bytes)));
    expect(results.every((r) => r.width === 64)).toBe(true);
    expect(decodeSlots.peak).toBe(2);
    // Through HTTP too: parallel uploads queue behind the same slots.
    decodeSlots.peak = 0;
    const ups = await Promise.all(Array.from({ length: 5 }, (_, i) => uploadImage(`par${i}.png`, bytes)));
    expect(ups.map((u) => u.status)).toEqual([200, 200, 200, 200, 200]);
    expect(decodeSlots.peak).toBeLessThanOrEqual(2);
  });

  it('Semaphore: first come first served, never more than its size', async () => {
    const s = new Semaphore(2);
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) =>
      s.run(async () => {
        now++;
        most = Math.max(most, now);
        order.push(i);
        await new Promise((r) => setTimeout(r, 10));
        now--;
        if (i === 2) throw new Error('a failing holder still frees its slot');
        return i;
      });
    const settled = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(task));
    expect(settled.filter((x) => x.status === 'fulfilled')).toHaveLength(5);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });
});

describe('error answers', () => {
  it('a 500 is logged, and answers a generic message; fs name errors answer 4xx without the path', async () => {
    const secretPath = '/srv/very/secret/data-dir/input/x.png';
    const app = express();
    app.get('/boom', () => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${secretPath}'`), { code: 'EACCES', path: secretPath });
    });
    app.get('/long', () => {
      throw Object.assign(new Error(`ENAMETOOLONG: name too long, open '${secretPath}'`), { code: 'ENAMETOOLONG', path: secretPath });
    });
    app.get('/isdir', () => {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, rename '${secretPath}'`), { code: 'EISDIR' });
    });
    app.use(errorHandler);
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const boom = await req(`${url}/boom`);
      expect([boom.status, boom.json.error.type]).toEqual([500, 'internal_error']);
      expect(boom.body.toString()).not.toContain('/srv/');
      expect(logged).toHaveBeenCalled();
      const long = await req(`${url}/long`);
      expect(long.status).toBe(400);
      expect(long.body.toString()).not.toContain('/srv/');
      const isdir = await req(`${url}/isdir`);
      expect(isdir.status).toBe(409);
      expect(isdir.body.toString()).not.toContain('/srv/');
    } finally {
      logged.mockRestore();
      await new Promise((r) => http.close(r));
    }
  });
});

describe('history byte budget', () => {
  function entry(n: number, id: string, padBytes: number): HistoryEntry {
    return { prompt: [n, id, {}, { pad: 'x'.repeat(padBytes) }, []], outputs: {}, status: { status_str: 'success', completed: true, messages: [] }, meta: {} };
  }

  it('drops the oldest entries past the byte budget, on disk too, and after a reload', async () => {
    const dir = tempDir();
    const h = new HistoryStore(dir, 100, 3500);
    await h.load();
    for (let i = 1; i <= 6; i++) await h.add(`p${i}`, entry(i, `p${i}`, 1000));
    expect(Object.keys(h.list())).toEqual(['p4', 'p5', 'p6']);
    expect(h.bytes).toBeLessThanOrEqual(3500);
    expect(readdirSync(dir).sort()).toEqual(['p4.json', 'p5.json', 'p6.json']);
    // A smaller budget on restart trims what was kept.
    const again = new HistoryStore(dir, 100, 2500);
    await again.load();
    expect(Object.keys(again.list())).toEqual(['p5', 'p6']);
    expect(readdirSync(dir).sort()).toEqual(['p5.json', 'p6.json']);
    // One entry over the whole budget replaces the rest but is itself kept, so it can be read.
    await again.add('big', entry(7, 'big', 10_000));
    expect(Object.keys(again.list())).toEqual(['big']);
    expect(readdirSync(dir)).toEqual(['big.json']);
    await again.delete(['big']);
    expect(again.bytes).toBe(0);
  });
});
