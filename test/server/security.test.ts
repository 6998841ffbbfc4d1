// Security defaults: same-origin for state changes and WS upgrades (Origin, then fetch
// metadata), Host checks on loopback, the auth token off loopback (from the command line, a
// file or the environment), and refusing to listen off loopback without one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN_ENV, bindRefusal, ConfigError, resolveAuthToken } from '../../server/config.ts';
import { createServer, BindRefusedError } from '../../server/http/server.ts';
import { chain, fixtureNodes, req, spawnServer, startServer, tempDir, WsClient, type SpawnedServer, type TestServer } from './helpers.ts';

describe('on loopback without a token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses POST /prompt from a foreign Origin or Origin: null, accepts same-origin and no Origin', async () => {
    const host = new URL(server.url).host;
    for (const origin of ['null', 'http://evil.example', `http://${host}.evil.example`, 'http://127.0.0.1:1', 'file://']) {
      const r = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1) }, { Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(r.json.error.type).toBe('forbidden');
    }
    expect((await req(`${server.url}/api/queue`, 'POST', { clear: true }, { Origin: 'null' })).status).toBe(403);
    expect((await req(`${server.url}/api/workflows/x`, 'PUT', {}, { Origin: 'http://evil.example' })).status).toBe(403);
    const same = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1) }, { Origin: `http://${host}` });
    expect(same.status).toBe(200);
    const noOrigin = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(2) });
    expect(noOrigin.status).toBe(200);
    // Reads are not state-changing: a foreign Origin may GET (CORS still keeps the answer from the page).
    expect((await req(`${server.url}/api/queue`, 'GET', undefined, { Origin: 'http://evil.example' })).status).toBe(200);
  });

  it('reads a text/plain body as JSON, and still refuses it from a foreign Origin', async () => {
    const body = JSON.stringify({ prompt: chain(1), client_id: 'cross-site-marker' });
    for (const [type, origin] of [['text/plain', 'http://evil.example'], ['application/x-www-form-urlencoded', 'null'], ['text/plain;charset=UTF-8', 'http://127.0.0.1:1']]) {
      const r = await req(`${server.url}/api/prompt`, 'POST', body, { 'Content-Type': type, Origin: origin });
      expect(r.status, `${type} from ${origin}`).toBe(403);
    }
    const seen = (await req(`${server.url}/api/queue`)).body.toString() + (await req(`${server.url}/api/history`)).body.toString();
    expect(seen).not.toContain('cross-site-marker');
    // The same body without a foreign Origin (a script) is queued.
    const ok = await req(`${server.url}/api/prompt`, 'POST', body, { 'Content-Type': 'text/plain' });
    expect(ok.status).toBe(200);
    expect(typeof ok.json.prompt_id).toBe('string');
  });

  it('refuses state changes labelled Sec-Fetch-Site: cross-site or same-site (no Origin sent); same-origin, none and absent pass', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const r = await req(`${server.url}/api/queue`, 'POST', {}, { 'Sec-Fetch-Site': site });
      expect([r.status, r.json.error.type], site).toEqual([403, 'forbidden']);
      expect((await req(`${server.url}/api/workflows/x`, 'PUT', {}, { 'Sec-Fetch-Site': site })).status, site).toBe(403);
      expect((await req(`${server.url}/api/workflows/x`, 'DELETE', undefined, { 'Sec-Fetch-Site': site })).status, site).toBe(403);
      await expect(WsClient.open(server.url, `fm-${site}`, { 'Sec-Fetch-Site': site })).rejects.toThrow(/403/);
      // Reads are not state changes.
      expect((await req(`${server.url}/api/queue`, 'GET', undefined, { 'Sec-Fetch-Site': site })).status, site).toBe(200);
    }
    for (const site of ['same-origin', 'none']) {
      expect((await req(`${server.url}/api/queue`, 'POST', {}, { 'Sec-Fetch-Site': site })).status, site).toBe(200);
    }
    expect((await req(`${server.url}/api/queue`, 'POST', {})).status).toBe(200);
    const ws = await WsClient.open(server.url, 'fm-same', { 'Sec-Fetch-Site': 'same-origin' });
    ws.close();
  });

  it('refuses WebSocket upgrades from a foreign Origin or Origin: null', async () => {
    await expect(WsClient.open(server.url, 'c1', { Origin: 'null' })).rejects.toThrow(/403/);
    await expect(WsClient.open(server.url, 'c2', { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const ok = await WsClient.open(server.url, 'c3', { Origin: server.url });
    ok.close();
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await req(`${server.url}/api/queue`, 'GET', undefined, { Host: 'evil.example' });
    expect(r.status).toBe(403);
    expect((await req(`${server.url}/api/queue`, 'GET', undefined, { Host: `localhost:${server.port}` })).status).toBe(200);
  });
});

describe('loopback needs no token; any non-loopback address does', () => {
  it('bindRefusal: 127.0.0.0/8, ::1 (any spelling) and localhost pass; everything else needs a token', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '127.255.0.9', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      expect(bindRefusal(host, undefined), host).toBeUndefined();
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', '128.0.0.1']) {
      expect(bindRefusal(host, undefined), host).toMatch(/not a loopback address/);
      expect(bindRefusal(host, 'tok'), host).toBeUndefined();
    }
  });

  it('starts on 127.0.0.2 without a token', async () => {
    const s = await startServer({ host: '127.0.0.2' });
    try {
      expect((await req(`http://127.0.0.2:${s.port}/api/queue`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('token sources', () => {
  it('resolveAuthToken: the option, else the file (trimmed), else the environment; empty or unreadable is an error', () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, '  from-file\n');
    const env = { [AUTH_TOKEN_ENV]: ' from-env ' };
    expect(resolveAuthToken({ token: 'opt', env })).toBe('opt');
    expect(resolveAuthToken({ file, env })).toBe('from-file');
    expect(resolveAuthToken({ env })).toBe('from-env');
    expect(resolveAuthToken({ env: {} })).toBeUndefined();
    expect(resolveAuthToken({ env: { [AUTH_TOKEN_ENV]: '' } })).toBeUndefined();
    writeFileSync(join(dir, 'empty'), ' \n');
    expect(() => resolveAuthToken({ file: join(dir, 'empty'), env })).toThrow(ConfigError);
    expect(() => resolveAuthToken({ file: join(dir, 'empty'), env })).toThrow(/is empty/);
    expect(() => resolveAuthToken({ file: join(dir, 'missing'), env })).toThrow(/cannot read --auth-token-file .*ENOENT/);
    expect(() => resolveAuthToken({ token: 'a', file, env })).toThrow(/not both/);
    expect(() => resolveAuthToken({ token: '', env })).toThrow(/empty/);
  });

  async function stop(s: SpawnedServer): Promise<void> {
    s.child.kill('SIGTERM');
    await s.exited;
  }

  it('the CLI takes --auth-token-file and SVDIFF_AUTH_TOKEN, and stops on an empty or unreadable file', async () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, 'file-token\n');
    const byFile = await spawnServer(['--host', '0.0.0.0', '--data-dir', tempDir(), '--auth-token-file', file]);
    try {
      expect((await req(`${byFile.url}/api/queue`)).status).toBe(401);
      expect((await req(`${byFile.url}/api/queue`, 'GET', undefined, { Authorization: 'bearer file-token' })).status).toBe(200);
    } finally {
      await stop(byFile);
    }
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(spawnServer(['--host', '0.0.0.0', '--data-dir', tempDir(), '--auth-token-file', join(dir, 'empty')])).rejects.toThrow(/exited \(2\)[\s\S]*is empty/);
    await expect(spawnServer(['--host', '0.0.0.0', '--data-dir', tempDir(), '--auth-token-file', join(dir, 'missing')])).rejects.toThrow(/exited \(2\)[\s\S]*cannot read/);
    const saved = process.env[AUTH_TOKEN_ENV];
    process.env[AUTH_TOKEN_ENV] = 'env-token';
    let byEnv: Promise<SpawnedServer>;
    try {
      byEnv = spawnServer(['--host', '0.0.0.0', '--data-dir', tempDir()]); // the child's environment is copied now
    } finally {
      if (saved === undefined) delete process.env[AUTH_TOKEN_ENV];
      else process.env[AUTH_TOKEN_ENV] = saved;
    }
    const s = await byEnv;
    try {
      expect((await req(`${s.url}/api/queue`, 'GET', undefined, { Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await req(`${s.url}/api/queue`, 'GET', undefined, { Authorization: 'Bearer env-token' })).status).toBe(200);
    } finally {
      await stop(s);
    }
  });
});

describe('off loopback', () => {
  it('refuses to start on 0.0.0.0 without a token, in the API and the CLI', async () => {
    await expect(createServer({ host: '0.0.0.0', port: 0, dataDir: tempDir(), nodesDir: fixtureNodes })).rejects.toBeInstanceOf(BindRefusedError);
    await expect(spawnServer(['--host', '0.0.0.0', '--data-dir', tempDir()])).rejects.toThrow(/exited \(2\)[\s\S]*auth token/);
  });

  describe('with a token', () => {
    let server: TestServer;
    const token = 's3cret-token';
    const auth = { Authorization: `Bearer ${token}` };
    beforeAll(async () => {
      server = await startServer({ host: '0.0.0.0', authToken: token });
    });
    afterAll(async () => {
      await server?.close();
    });
    const url = () => `http://127.0.0.1:${server.port}`;

    it('answers 401 without the token or with a wrong one, on every route', async () => {
      for (const path of ['/api/queue', '/api/object_info', '/api/history', '/', '/api/view?filename=x.png', '/api/workflows']) {
        expect((await req(`${url()}${path}`)).status, path).toBe(401);
        expect((await req(`${url()}${path}`, 'GET', undefined, { Authorization: 'Bearer wrong' })).status, path).toBe(401);
      }
      expect((await req(`${url()}/api/prompt`, 'POST', { prompt: chain(1) })).status).toBe(401);
      expect((await req(`${url()}/api/prompt?token=nope`, 'POST', { prompt: chain(1) })).status).toBe(401);
      expect((await req(`${url()}/api/queue`)).json.queue_pending).toBeUndefined();
    });

    it('accepts the Bearer header or ?token=, and still checks Origin', async () => {
      expect((await req(`${url()}/api/queue`, 'GET', undefined, auth)).status).toBe(200);
      // The scheme is case-insensitive.
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        expect((await req(`${url()}/api/queue`, 'GET', undefined, { Authorization: `${scheme} ${token}` })).status, scheme).toBe(200);
      }
      expect((await req(`${url()}/api/queue`, 'GET', undefined, { Authorization: `Basic ${token}` })).status).toBe(401);
      expect((await req(`${url()}/api/view?filename=none.png&token=${token}`)).status).toBe(404);
      const queued = await req(`${url()}/api/prompt`, 'POST', { prompt: chain(1) }, auth);
      expect(queued.status).toBe(200);
      expect((await req(`${url()}/api/prompt`, 'POST', { prompt: chain(1) }, { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    });

    it('refuses WebSocket upgrades without the token', async () => {
      await expect(WsClient.open(url(), 'x')).rejects.toThrow(/401/);
      await expect(WsClient.open(url(), 'x', { Authorization: 'Bearer wrong' })).rejects.toThrow(/401/);
      const byHeader = await WsClient.open(url(), 'y', auth);
      expect((await byHeader.waitFor((m) => m.type === 'status')).data.sid).toBe('y');
      byHeader.close();
      const byQuery = await WsClient.open(url(), 'z', {}, `&token=${token}`);
      expect((await byQuery.waitFor((m) => m.type === 'status')).data.sid).toBe('z');
      byQuery.close();
    });
  });
});
