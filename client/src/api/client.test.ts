import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './client.ts';
import { encodePreviewFrame, decodePreviewFrame } from './previewFrame.ts';
import { FakeSocket, fakeFetch, memoryStorage } from '../test/fakes.ts';

const BASE = 'http://studio.test';

function client(route: Parameters<typeof fakeFetch>[0] = () => undefined, storage = memoryStorage()) {
  const f = fakeFetch(route);
  const api = new ApiClient({ baseUrl: BASE, fetch: f.fetch, WebSocket: FakeSocket as never, storage, minDelay: 100, maxDelay: 1000 });
  return { api, calls: f.calls, storage };
}

describe('ApiClient HTTP', () => {
  it('keeps one clientId per storage (tab) across instances', () => {
    const storage = memoryStorage();
    const a = client(undefined, storage).api;
    const b = client(undefined, storage).api;
    expect(a.clientId).toMatch(/^[0-9a-z]{10,}$/);
    expect(b.clientId).toBe(a.clientId);
    expect(client().api.clientId).not.toBe(a.clientId);
  });

  it('posts a prompt with client_id and the workflow as extra_pnginfo', async () => {
    const { api, calls } = client(() => ({ body: { prompt_id: 'p1', number: 3, node_errors: {} } }));
    const workflow = { nodes: [], links: [] };
    const res = await api.queuePrompt({ '1': { class_type: 'X', inputs: {} } }, workflow);
    expect(res.prompt_id).toBe('p1');
    expect(calls[0].url).toBe(`${BASE}/api/prompt`);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].body).toEqual({ prompt: { '1': { class_type: 'X', inputs: {} } }, client_id: api.clientId, extra_data: { extra_pnginfo: { workflow }, preview_method: 'auto' } });
  });

  it('turns a rejected prompt into an ApiError carrying node_errors', async () => {
    const nodeErrors = { '3': { class_type: 'SaveImage', errors: [{ message: 'Required input is missing', extra_info: { input_name: 'images' } }] } };
    const { api } = client(() => ({ status: 400, body: { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' }, node_errors: nodeErrors } }));
    const err = await api.queuePrompt({}, { nodes: [], links: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('Prompt outputs failed validation');
    expect((err as ApiError).nodeErrors).toEqual(nodeErrors);
  });

  it('speaks the queue, history, interrupt and workflow routes', async () => {
    const { api, calls } = client((c) => {
      if (c.url.endsWith('/api/workflows')) return { body: ['a.json', { name: 'b' }] };
      return { body: {} };
    });
    await api.deleteQueued(['x']);
    await api.clearQueue();
    await api.interrupt();
    await api.saveWorkflow('my flow', { nodes: [], links: [] });
    expect(await api.listWorkflows()).toEqual([{ name: 'a' }, { name: 'b' }]);
    await api.deleteWorkflow('my flow');
    expect(calls.map((c) => `${c.method} ${c.url.slice(BASE.length)}`)).toEqual([
      'POST /api/queue',
      'POST /api/queue',
      'POST /api/interrupt',
      'PUT /api/workflows/my%20flow',
      'GET /api/workflows',
      'DELETE /api/workflows/my%20flow',
    ]);
    expect(calls[0].body).toEqual({ delete: ['x'] });
    expect(calls[1].body).toEqual({ clear: true });
  });

  it('treats a missing templates route as no templates', async () => {
    expect(await client().api.listTemplates()).toEqual([]);
    const { api } = client(() => ({ status: 500, body: { error: 'boom' } }));
    await expect(api.listTemplates()).rejects.toThrow(/500 boom/);
  });

  it('builds view URLs for image refs', () => {
    const { api } = client();
    expect(api.viewUrl({ filename: 'a b.png', subfolder: '', type: 'output' })).toBe(`${BASE}/api/view?filename=a+b.png&type=output&subfolder=`);
  });
});

describe('ApiClient WebSocket', () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('connects with its clientId and emits one event per message type', () => {
    const { api } = client();
    const seen: unknown[] = [];
    api.on('progress', (d) => seen.push(['progress', d]));
    api.on('executing', (d) => seen.push(['executing', d]));
    api.connect();
    const ws = FakeSocket.last();
    expect(ws.url).toBe(`ws://studio.test/ws?clientId=${api.clientId}`);
    ws.open();
    ws.message('progress', { prompt_id: 'p', node: '4', value: 2, max: 10, loss: 0.5 });
    ws.message('executing', { prompt_id: 'p', node: null });
    ws.onmessage?.({ data: 'not json' });
    expect(seen).toEqual([
      ['progress', { prompt_id: 'p', node: '4', value: 2, max: 10, loss: 0.5 }],
      ['executing', { prompt_id: 'p', node: null }],
    ]);
  });

  it('decodes binary preview frames', async () => {
    const { api } = client();
    const got: { blob: Blob; mime: string }[] = [];
    api.on('b_preview', (d) => got.push(d));
    api.connect();
    FakeSocket.last().open();
    const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    FakeSocket.last().binary(encodePreviewFrame(png, 2));
    expect(got).toHaveLength(1);
    expect(got[0].mime).toBe('image/png');
    expect(new Uint8Array(await got[0].blob.arrayBuffer())).toEqual(png);
    expect(decodePreviewFrame(new ArrayBuffer(4))).toBeUndefined();
  });

  it('reconnects with growing delays and says so', () => {
    const { api } = client();
    const events: string[] = [];
    api.on('connected', (d) => events.push(d.reconnect ? 'reconnected' : 'connected'));
    api.on('disconnected', () => events.push('disconnected'));
    api.connect();
    FakeSocket.last().open();
    FakeSocket.last().close();
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.last().close(); // server still down
    vi.advanceTimersByTime(150);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(50);
    expect(FakeSocket.instances).toHaveLength(3);
    FakeSocket.last().open();
    expect(events).toEqual(['connected', 'disconnected', 'disconnected', 'reconnected']);
    expect(api.reconnectDelay(10)).toBe(1000);
  });

  it('stops reconnecting after close()', () => {
    const { api } = client();
    api.connect();
    FakeSocket.last().open();
    api.close();
    vi.advanceTimersByTime(5000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(api.connected).toBe(false);
  });
});
