// The studio driven the way clients written for ComfyUI's API drive it, from their documented
// request shapes and message orders (not their code):
// - ComfyUI's script examples: Python urllib posts JSON as application/x-www-form-urlencoded,
//   waits on the socket for `executing` with node null, then reads /history/<id>; the
//   websocket-images example collects the binary frames sent while SaveImageWebsocket runs.
// - SDKs from npm: JSON sent as text/plain, queue/history delete and clear bodies, unknown
//   object_info types, and prompt ids learnt from the POST answer before any event of them.
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, req, startServer, until, WsClient, type TestServer } from './helpers.ts';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const TEXT = { 'Content-Type': 'text/plain;charset=UTF-8' };

/** POST /prompt as urllib does: `data=json.dumps(p).encode()` with no JSON header. */
async function urllibQueue(url: string, prompt: unknown, clientId: string): Promise<string> {
  const r = await req(`${url}/prompt`, 'POST', JSON.stringify({ prompt, client_id: clientId }), FORM);
  expect(r.status, r.body.toString()).toBe(200);
  return r.json.prompt_id as string;
}

describe('ComfyUI script examples and SDKs (fixture nodes)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('basic and websockets examples: form-encoded POST, executing null, then the history is there — every time', async () => {
    const ws = await WsClient.open(server.url, 'script-example');
    try {
      for (let i = 0; i < 12; i++) {
        const id = await urllibQueue(server.url, chain(i), 'script-example');
        const end = await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
        expect(end).toBeDefined();
        // Straight after `executing` null, as websockets_api_example.py does.
        const h = await req(`${server.url}/history/${id}`);
        expect(Object.keys(h.json), `history of run ${i}`).toEqual([id]);
        expect(h.json[id].status.completed).toBe(true);
      }
    } finally {
      ws.close();
    }
  });

  it('ends a prompt with its outcome, then executing null, after the history entry is written', async () => {
    const ws = await WsClient.open(server.url, 'order');
    try {
      const seenAt: Record<string, boolean> = {};
      ws.ws.on('message', (raw: Buffer, binary: boolean) => {
        if (binary) return;
        const m = JSON.parse(raw.toString());
        if (m.type === 'execution_success' || (m.type === 'executing' && m.data.node === null)) {
          // Ask for the history the moment the event arrives; record what it held.
          void req(`${server.url}/history/${m.data.prompt_id}`).then((h) => (seenAt[m.type] = Object.keys(h.json).length === 1));
        }
      });
      const id = await urllibQueue(server.url, chain(5), 'order');
      await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
      await until(() => Object.keys(seenAt).length === 2);
      expect(seenAt).toEqual({ execution_success: true, executing: true });
      const types = ws.forPrompt(id).map((m) => m.type).filter((t) => t !== 'progress_state');
      expect(types.slice(-2)).toEqual(['execution_success', 'executing']);
      expect(types[0]).toBe('execution_start');
    } finally {
      ws.close();
    }
  });

  it('SDK order: the POST answer names the prompt before any of its events reach the socket', async () => {
    const ws = await WsClient.open(server.url, 'sdk');
    const known = new Set<string>();
    const early: string[] = [];
    ws.ws.on('message', (raw: Buffer, binary: boolean) => {
      if (binary) return;
      const m = JSON.parse(raw.toString());
      const id = m.data?.prompt_id;
      if (id && !known.has(id)) early.push(`${m.type} of ${id}`);
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 15; i++) {
        // The SDK's fetch sends its JSON as text/plain.
        const r = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(i), client_id: 'sdk' }), TEXT);
        expect(r.status).toBe(200);
        known.add(r.json.prompt_id);
        ids.push(r.json.prompt_id);
      }
      for (const id of ids) await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
      expect(early).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('SDK queue and history bodies: {delete:[ids]} and {clear:true} sent as text/plain', async () => {
    const busy = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(1, { class_type: 'TestSlow', inputs: { seconds: 3 } }) }), TEXT);
    const a = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(2) }), TEXT);
    const b = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(3) }), TEXT);
    const c = await req(`${server.url}/api/prompt`, 'POST', JSON.stringify({ prompt: chain(4) }), TEXT);
    const pending = async () => ((await req(`${server.url}/api/queue`)).json.queue_pending as unknown[][]).map((t) => t[1]);
    expect(await pending()).toEqual(expect.arrayContaining([a.json.prompt_id, b.json.prompt_id, c.json.prompt_id]));
    expect((await req(`${server.url}/api/queue`, 'POST', JSON.stringify({ delete: [a.json.prompt_id] }), TEXT)).status).toBe(200);
    expect(await pending()).not.toContain(a.json.prompt_id);
    expect(await pending()).toContain(b.json.prompt_id);
    expect((await req(`${server.url}/api/queue`, 'POST', JSON.stringify({ clear: true }), TEXT)).status).toBe(200);
    expect(await pending()).toEqual([]);
    // A POST /interrupt without the JSON header still reads its prompt_id: another id interrupts nothing.
    const other = await req(`${server.url}/api/interrupt`, 'POST', JSON.stringify({ prompt_id: 'not-running' }), FORM);
    expect(other.json).toEqual({ interrupted: false });
    const mine = await req(`${server.url}/api/interrupt`, 'POST', JSON.stringify({ prompt_id: busy.json.prompt_id }), FORM);
    expect(mine.json).toEqual({ interrupted: true });
    await until(async () => (await req(`${server.url}/api/history/${busy.json.prompt_id}`)).json[busy.json.prompt_id] !== undefined);
    expect(Object.keys((await req(`${server.url}/api/history`)).json).length).toBeGreaterThan(0);
    expect((await req(`${server.url}/api/history`, 'POST', JSON.stringify({ clear: true }), TEXT)).status).toBe(200);
    expect((await req(`${server.url}/api/history`)).json).toEqual({});
  });

  it('history offset counts from the oldest, max_items alone gives the newest (ComfyUI get_history)', async () => {
    const ids: string[] = [];
    const ws = await WsClient.open(server.url, 'hist');
    try {
      for (let i = 0; i < 4; i++) {
        const id = await urllibQueue(server.url, chain(10 + i), 'hist');
        await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
        ids.push(id);
      }
    } finally {
      ws.close();
    }
    const all = Object.keys((await req(`${server.url}/api/history`)).json);
    const mine = all.filter((k) => ids.includes(k));
    expect(mine).toEqual(ids);
    const n = all.length;
    expect(Object.keys((await req(`${server.url}/api/history?max_items=2`)).json)).toEqual(all.slice(n - 2));
    expect(Object.keys((await req(`${server.url}/api/history?offset=1&max_items=2`)).json)).toEqual(all.slice(1, 3));
    expect(Object.keys((await req(`${server.url}/api/history?offset=${n - 1}`)).json)).toEqual(all.slice(n - 1));
  });

  it('unknown object_info type answers 200 {}; entries carry python_module', async () => {
    const r = await req(`${server.url}/api/object_info/CheckpointLoaderSimple`);
    expect([r.status, r.json]).toEqual([200, {}]);
    const info = (await req(`${server.url}/api/object_info/TestConstant`)).json.TestConstant;
    expect(info.python_module).toBe('nodes');
  });

  it('sends a prompt without client_id to nobody, but its interrupt to everyone', async () => {
    const watcher = await WsClient.open(server.url, 'watcher');
    try {
      const quiet = (await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(21) })).json.prompt_id as string;
      const slow = (await req(`${server.url}/api/prompt`, 'POST', { prompt: chain(22, { class_type: 'TestSlow', inputs: { seconds: 5 } }) })).json.prompt_id as string;
      await until(async () => (await req(`${server.url}/api/history/${quiet}`)).json[quiet] !== undefined);
      await until(async () => (await req(`${server.url}/api/queue`)).json.queue_running[0]?.[1] === slow);
      await req(`${server.url}/api/interrupt`, 'POST', { prompt_id: slow });
      await watcher.waitFor((m) => m.type === 'execution_interrupted' && m.data.prompt_id === slow);
      expect(watcher.forPrompt(quiet)).toEqual([]);
      expect(watcher.forPrompt(slow).map((m) => m.type)).toEqual(['execution_interrupted']);
    } finally {
      watcher.close();
    }
  });

  it('sends progress_state with each node state, and answers the feature_flags handshake', async () => {
    const ws = await WsClient.open(server.url, 'flags');
    try {
      ws.ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      const flags = await ws.waitFor((m) => m.type === 'feature_flags');
      expect(flags.data).toMatchObject({ supports_preview_metadata: false });
      expect(flags.data.max_upload_size).toBeGreaterThan(0);
      const id = await urllibQueue(server.url, chain(30, { class_type: 'TestSlow', inputs: { seconds: 0.3 } }), 'flags');
      await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
      const states = ws.forPrompt(id).filter((m) => m.type === 'progress_state');
      expect(states.length).toBeGreaterThan(2);
      const running = states.find((s) => s.data.nodes['2']?.state === 'running' && s.data.nodes['2'].value > 0);
      expect(running?.data.nodes['2']).toMatchObject({ node_id: '2', prompt_id: id, display_node_id: '2', max: 6 });
      const last = states[states.length - 1].data.nodes;
      expect(Object.values(last).map((n: any) => n.state)).toEqual(['finished', 'finished', 'finished']);
    } finally {
      ws.close();
    }
  });

  it('sends previews only to prompts that ask for them (extra_data.preview_method), as ComfyUI started with its default', async () => {
    const ws = await WsClient.open(server.url, 'previews');
    try {
      let value = 500;
      const run = async (extra: Record<string, unknown>) => {
        const before = ws.binary.length;
        const r = await req(`${server.url}/prompt`, 'POST', JSON.stringify({ prompt: chain(value++), client_id: 'previews', extra_data: extra }), FORM);
        await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === r.json.prompt_id && m.data.node === null);
        return ws.binary.length - before;
      };
      expect(await run({})).toBe(0);
      expect(await run({ preview_method: 'none' })).toBe(0);
      expect(await run({ preview_method: 'default' })).toBe(0);
      expect(await run({ preview_method: 'auto' })).toBe(1);
    } finally {
      ws.close();
    }
  });

  it('execution_error carries current_inputs as lists and current_outputs as a list of nodes', async () => {
    const ws = await WsClient.open(server.url, 'err');
    try {
      const id = await urllibQueue(server.url, chain(40, { class_type: 'TestFail', inputs: { message: 'on purpose' } }), 'err');
      const e = await ws.waitFor((m) => m.type === 'execution_error' && m.data.prompt_id === id);
      expect(Array.isArray(e.data.current_outputs)).toBe(true);
      expect(e.data.current_outputs).toContain('1');
      for (const v of Object.values(e.data.current_inputs)) expect(Array.isArray(v)).toBe(true);
    } finally {
      ws.close();
    }
  });
});

describe('websockets_api_example_ws_images: SaveImageWebsocket frames (studio nodes)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ nodesDir: undefined });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends each image as a binary frame (1 = image, 2 = PNG) while executing names the node', async () => {
    const ws = await WsClient.open(server.url, 'ws-images');
    const frames: Record<string, Buffer[]> = {};
    let current = '';
    ws.ws.on('message', (raw: Buffer, binary: boolean) => {
      if (!binary) {
        const m = JSON.parse(raw.toString());
        if (m.type === 'executing' && m.data.node) current = m.data.node;
      } else (frames[current] ??= []).push(Buffer.from(raw));
    });
    try {
      const prompt = {
        load: { class_type: 'LoadImage', inputs: { image: 'red-circle-blue.png' } },
        batch: { class_type: 'ImageBatch', inputs: { image_1: ['load', 0], image_2: ['load', 0] } },
        save_image_websocket_node: { class_type: 'SaveImageWebsocket', inputs: { images: ['batch', 0] } },
      };
      for (let run = 0; run < 2; run++) {
        frames.save_image_websocket_node = [];
        const id = await urllibQueue(server.url, prompt, 'ws-images');
        await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === id && m.data.node === null);
        // Run twice: the node sends its frames again rather than being taken from the cache.
        const got = frames.save_image_websocket_node;
        expect(got, `run ${run}`).toHaveLength(2);
        for (const f of got) {
          expect([f.readUInt32BE(0), f.readUInt32BE(4)]).toEqual([1, 2]);
          const png = PNG.sync.read(f.subarray(8));
          expect([png.width, png.height]).toEqual([32, 32]);
        }
        const h = (await req(`${server.url}/history/${id}`)).json[id];
        expect(h.status.completed).toBe(true);
      }
    } finally {
      ws.close();
    }
  });
});
