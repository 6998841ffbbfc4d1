// Security defaults: same-origin for state changes and WS upgrades, Host checks on loopback,
// the auth token off loopback, and refusing to listen off loopback without one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, BindRefusedError } from '../../server/http/server.ts';
import { chain, fixtureNodes, req, spawnServer, startServer, tempDir, WsClient, type TestServer } from './helpers.ts';

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
