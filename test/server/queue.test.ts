// Integration: a real server on an ephemeral port, a real ws client, the fixture nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { chain, queuePrompt, req, startServer, until, waitForHistory, WsClient, type TestServer } from './helpers.ts';

let server: TestServer;
let ws: WsClient;

beforeAll(async () => {
  server = await startServer();
  ws = await WsClient.open(server.url, 'client-a');
});
afterAll(async () => {
  ws?.close();
  await server?.close();
});

describe('queue and events', () => {
  it('greets a new socket with the queue status and its sid', async () => {
    const hello = await ws.waitFor((m) => m.type === 'status' && m.data.sid !== undefined);
    expect(hello.data).toEqual({ status: { exec_info: { queue_remaining: 0 } }, sid: 'client-a' });
  });

  it('runs a prompt: events in order, history entry, output image viewable', async () => {
    const id = await queuePrompt(server.url, chain(200), { client_id: 'client-a', extra_data: { extra_pnginfo: { workflow: { nodes: [] } }, preview_method: 'auto' } });
    await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
    const types = ws.forPrompt(id).map((m) => m.type).filter((t) => t !== 'progress_state');
    expect(types[0]).toBe('execution_start');
    expect(types[1]).toBe('execution_cached');
    // ComfyUI's ending: the outcome, then `executing` null.
    expect(types.slice(-2)).toEqual(['execution_success', 'executing']);
    const order = types.filter((t) => t === 'executing' || t === 'executed');
    expect(order).toEqual(['executing', 'executing', 'executed', 'executing']);
    expect(ws.forPrompt(id).filter((m) => m.type === 'executing').map((m) => m.data.node)).toEqual(['1', '3', null]);
    const executed = ws.forPrompt(id).find((m) => m.type === 'executed')!;
    expect(executed.data.node).toBe('3');
    const image = executed.data.output.images[0];
    expect(image).toMatchObject({ subfolder: '', type: 'output' });

    // The preview went out as a binary frame: event 1 (preview), image type 2 (PNG), then the PNG.
    await until(() => ws.binary.length > 0, 10_000, 'a preview frame');
    const frame = ws.binary[0];
    expect(frame.readUInt32BE(0)).toBe(1);
    expect(frame.readUInt32BE(4)).toBe(2);
    expect(PNG.sync.read(frame.subarray(8)).width).toBe(4);

    const h = await waitForHistory(server.url, id);
    expect(h.prompt[1]).toBe(id);
    expect(h.prompt[3]).toMatchObject({ client_id: 'client-a', extra_pnginfo: { workflow: { nodes: [] } } });
    expect(h.prompt[4]).toEqual(['3']);
    expect(h.outputs['3'].images[0]).toEqual(image);
    expect(h.status.status_str).toBe('success');
    expect(h.status.completed).toBe(true);
    expect(h.status.messages.map((m: [string, unknown]) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);

    for (const prefix of ['/api', '']) {
      const v = await req(`${server.url}${prefix}/view?filename=${encodeURIComponent(image.filename)}&type=output&subfolder=`);
      expect(v.status).toBe(200);
      expect(v.headers['content-type']).toBe('image/png');
      const png = PNG.sync.read(v.body);
      expect([png.width, png.height, png.data[0]]).toEqual([4, 4, 200]);
    }
  });

  it('serves routes with and without the /api prefix', async () => {
    for (const prefix of ['/api', '']) {
      const info = await req(`${server.url}${prefix}/object_info`);
      expect(Object.keys(info.json)).toContain('TestSlow');
      const one = await req(`${server.url}${prefix}/object_info/TestConstant`);
      expect(one.json.TestConstant.input.required.value[0]).toBe('INT');
      expect((await req(`${server.url}${prefix}/prompt`)).json).toEqual({ exec_info: { queue_remaining: 0 } });
      const stats = await req(`${server.url}${prefix}/system_stats`);
      expect(stats.json.devices[0].type).toBe('cpu');
      expect(stats.json.system.node_version).toBe(process.version);
    }
    const page = await req(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    // ComfyUI answers an unknown node type with 200 {} (SDKs probe for optional nodes that way).
    const unknown = await req(`${server.url}/api/object_info/Nope`);
    expect([unknown.status, unknown.json]).toEqual([200, {}]);
    expect((await req(`${server.url}/api/nothing-here`)).status).toBe(404);
  });

  it('answers GET /api/queue while a node computes, shows running and pending, deletes and clears', async () => {
    const slow = await queuePrompt(server.url, chain(1, { class_type: 'TestBusy', inputs: { seconds: 3 } }, 'busy'), { client_id: 'client-a' });
    const p2 = await queuePrompt(server.url, chain(2, undefined, 'second'));
    const p3 = await queuePrompt(server.url, chain(3, undefined, 'third'));
    const p4 = await queuePrompt(server.url, chain(4, undefined, 'fourth'));
    await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === slow && m.data.node === '2');
    // The worker is busy-looping synchronously; the HTTP server still answers.
    const q = await req(`${server.url}/api/queue`);
    expect(q.status).toBe(200);
    expect(q.json.queue_running.map((t: unknown[]) => t[1])).toEqual([slow]);
    expect(q.json.queue_pending.map((t: unknown[]) => t[1])).toEqual([p2, p3, p4]);
    const [number, id, prompt, extra, outputs] = q.json.queue_pending[0];
    expect([typeof number, id, prompt['3'].class_type, typeof extra, outputs]).toEqual(['number', p2, 'TestSavePng', 'object', ['3']]);

    expect((await req(`${server.url}/api/queue`, 'POST', { delete: [p3] })).status).toBe(200);
    expect((await req(`${server.url}/api/queue`)).json.queue_pending.map((t: unknown[]) => t[1])).toEqual([p2, p4]);
    await req(`${server.url}/api/queue`, 'POST', { clear: true });
    expect((await req(`${server.url}/api/queue`)).json.queue_pending).toEqual([]);
    expect((await req(`${server.url}/api/prompt`)).json.exec_info.queue_remaining).toBe(1);

    await waitForHistory(server.url, slow);
    const h = (await req(`${server.url}/api/history`)).json;
    expect(h[p2]).toBeUndefined();
    expect(h[p3]).toBeUndefined();
  });

  it('puts a "front" prompt before the others', async () => {
    const slow = await queuePrompt(server.url, chain(1, { class_type: 'TestSlow', inputs: { seconds: 1 } }, 'front-slow'));
    const back = await queuePrompt(server.url, chain(5, undefined, 'back'));
    const front = await queuePrompt(server.url, chain(6, undefined, 'front'), { front: true });
    const q = await req(`${server.url}/api/queue`);
    expect(q.json.queue_pending.map((t: unknown[]) => t[1])).toEqual([front, back]);
    await waitForHistory(server.url, back);
    await waitForHistory(server.url, slow);
  });

  it('interrupts a slow node: execution_interrupted, history records it, the next prompt runs', async () => {
    const slow = await queuePrompt(server.url, chain(1, { class_type: 'TestSlow', inputs: { seconds: 60 } }, 'slow'), { client_id: 'client-a' });
    await ws.waitFor((m) => m.type === 'progress' && m.data.prompt_id === slow);
    const wrong = await req(`${server.url}/api/interrupt`, 'POST', { prompt_id: 'not-running' });
    expect(wrong.json).toEqual({ interrupted: false });
    // A socket that (re)connects mid-prompt is told which node runs.
    const late = await WsClient.open(server.url, 'client-a');
    const now = await late.waitFor((m) => m.type === 'executing');
    expect(now.data).toMatchObject({ prompt_id: slow, node: '2' });
    // As the client sends it: POST with no body at all.
    const r = await req(`${server.url}/api/interrupt`, 'POST');
    expect(r.json).toEqual({ interrupted: true });
    // Both sockets of client-a (say, two tabs) get the prompt's events.
    await late.waitFor((m) => m.type === 'execution_interrupted' && m.data.prompt_id === slow);
    const ev = await ws.waitFor((m) => m.type === 'execution_interrupted' && m.data.prompt_id === slow);
    expect(ev.data.node_id).toBe('2');
    late.close();
    const h = await waitForHistory(server.url, slow);
    expect(h.status).toMatchObject({ status_str: 'error', completed: false });
    expect(h.status.messages.at(-1)[0]).toBe('execution_interrupted');
    const next = await queuePrompt(server.url, chain(9));
    expect((await waitForHistory(server.url, next)).status.status_str).toBe('success');
  });

  it('interrupts a node that never yields by killing the worker after the grace period', async () => {
    const restarts = server.worker.restarts;
    const busy = await queuePrompt(server.url, chain(1, { class_type: 'TestBusy', inputs: { seconds: 120 } }, 'stuck'), { client_id: 'client-a' });
    await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === busy && m.data.node === '2');
    expect((await req(`${server.url}/api/interrupt`, 'POST', { prompt_id: busy })).json).toEqual({ interrupted: true });
    const ev = await ws.waitFor((m) => m.type === 'execution_interrupted' && m.data.prompt_id === busy);
    expect(ev.data).toMatchObject({ node_id: '2', node_type: 'TestBusy' });
    expect(server.worker.restarts).toBe(restarts + 1);
    const next = await queuePrompt(server.url, chain(9, undefined, 'after-stuck'));
    expect((await waitForHistory(server.url, next)).status.status_str).toBe('success');
  });

  it('reports a node error as execution_error with the node and message', async () => {
    const id = await queuePrompt(server.url, chain(1, { class_type: 'TestFail', inputs: { message: 'boom here' } }), { client_id: 'client-a' });
    const ev = await ws.waitFor((m) => m.type === 'execution_error' && m.data.prompt_id === id);
    expect(ev.data).toMatchObject({ node_id: '2', node_type: 'TestFail' });
    expect(ev.data.exception_message).toContain('boom here');
    const h = await waitForHistory(server.url, id);
    expect(h.status.status_str).toBe('error');
  });

  for (const mode of ['exit', 'abort'] as const) {
    it(`a crashing node (${mode}) kills the worker: execution_error, then the next prompt still runs`, async () => {
      const restarts = server.worker.restarts;
      const id = await queuePrompt(server.url, chain(mode === 'exit' ? 77 : 78, { class_type: 'TestCrash', inputs: { mode } }), { client_id: 'client-a' });
      const ev = await ws.waitFor((m) => m.type === 'execution_error' && m.data.prompt_id === id);
      expect(ev.data).toMatchObject({ node_id: '2', node_type: 'TestCrash', exception_type: 'WorkerDied' });
      expect(ev.data.exception_message).toBe(mode === 'exit' ? 'worker process died: exit code 3' : 'worker process died: signal SIGABRT');
      expect(ev.data.executed).toEqual(['1']);
      expect((await waitForHistory(server.url, id)).status.status_str).toBe('error');
      const next = await queuePrompt(server.url, chain(42, undefined, 'after-crash'), { client_id: 'client-a' });
      const h = await waitForHistory(server.url, next);
      expect(h.status.status_str).toBe('success');
      expect(server.worker.restarts).toBe(restarts + 1);
    });
  }

  it("sends a prompt's events to its client only, and those of a prompt without a client to nobody (ComfyUI's rule)", async () => {
    const other = await WsClient.open(server.url, 'client-b');
    try {
      const mine = await queuePrompt(server.url, chain(21, undefined, 'mine'), { client_id: 'client-a' });
      const anyone = await queuePrompt(server.url, chain(22, undefined, 'anyone'));
      const last = await queuePrompt(server.url, chain(23, undefined, 'last'), { client_id: 'client-b' });
      await other.waitFor((m) => m.type === 'execution_success' && m.data.prompt_id === last);
      expect(ws.forPrompt(mine).map((m) => m.type)).toContain('execution_success');
      expect(other.forPrompt(mine)).toEqual([]);
      expect(ws.forPrompt(anyone)).toEqual([]);
      expect(other.forPrompt(anyone)).toEqual([]);
      expect(ws.forPrompt(last)).toEqual([]);
      // Queue changes are broadcast to every socket.
      expect(other.messages.filter((m) => m.type === 'status').length).toBeGreaterThan(1);
    } finally {
      other.close();
    }
  });

  it('deletes and clears history', async () => {
    const a = await queuePrompt(server.url, chain(11, undefined, 'ha'));
    const b = await queuePrompt(server.url, chain(12, undefined, 'hb'));
    await waitForHistory(server.url, b);
    await waitForHistory(server.url, a);
    const limited = (await req(`${server.url}/api/history?max_items=1`)).json;
    expect(Object.keys(limited)).toEqual([b]);
    await req(`${server.url}/api/history`, 'POST', { delete: [a] });
    const h = (await req(`${server.url}/api/history`)).json;
    expect(h[a]).toBeUndefined();
    expect(h[b]).toBeDefined();
    await req(`${server.url}/api/history`, 'POST', { clear: true });
    expect((await req(`${server.url}/api/history`)).json).toEqual({});
  });
});

describe('bad input', () => {
  it('refuses an invalid prompt with 400 naming the node and input', async () => {
    const bad = chain(1);
    bad['1'].inputs.value = 'seven';
    const r = await req(`${server.url}/api/prompt`, 'POST', { prompt: bad });
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe('prompt_outputs_failed_validation');
    expect(r.json.node_errors['1'].class_type).toBe('TestConstant');
    expect(r.json.node_errors['1'].errors[0].extra_info.input_name).toBe('value');
    expect(r.json.node_errors['1'].errors[0].message).toContain('#1');
  });

  it('answers 400 JSON for a missing prompt, broken JSON, wrong field types and unknown node types', async () => {
    const none = await req(`${server.url}/api/prompt`, 'POST', { client_id: 'x' });
    expect([none.status, none.json.error.type, none.json.node_errors]).toEqual([400, 'no_prompt', {}]);
    const broken = await req(`${server.url}/api/prompt`, 'POST', '{"prompt": {');
    expect(broken.status).toBe(400);
    expect(broken.json.error).toBeDefined();
    expect((await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1), extra_data: 'x' })).status).toBe(400);
    expect((await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1), prompt_id: '../../x' })).status).toBe(400);
    const own = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1), prompt_id: 'my-own-id' });
    expect([own.status, own.json.prompt_id]).toEqual([200, 'my-own-id']);
    const taken = await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(1), prompt_id: 'my-own-id' });
    expect([taken.status, taken.json.error.type]).toEqual([400, 'invalid_prompt_id']);
    await waitForHistory(server.url, 'my-own-id');
    const unknown = await req(`${server.url}/api/prompt`, 'POST', { prompt: { '1': { class_type: 'Nope', inputs: {} } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.node_errors['1'] ?? unknown.json.error).toBeDefined();
    expect((await req(`${server.url}/api/queue`, 'POST', { delete: 'x' })).status).toBe(400);
    expect((await req(`${server.url}/api/history?max_items=-1`)).status).toBe(400);
    // Still alive and nothing was queued.
    expect((await req(`${server.url}/api/queue`)).json.queue_pending).toEqual([]);
  });
});
