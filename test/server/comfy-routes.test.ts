// ComfyUI's HTTP routes that its frontend and the npm SDKs call besides the queue: model folders
// and safetensors metadata, per-user userdata and settings (persisted across a restart), users,
// extensions / features / templates / i18n, system_stats field names, /free, object_info fields.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeSafetensors } from '../../server/spectral/safetensors.ts';
import { parseSchedulerConfig } from '../../server/diffusion/scheduler/index.ts';
import { checkSteps } from '../../server/diffusion/pipeline/checks.ts';
import { repoRoot, req, startServer, tempDir, type TestServer } from './helpers.ts';

let server: TestServer;
let dataDir: string;
let modelsDir: string;
let outside: string;
const SHIFT_META = { 'svdiff.model_hash': 'abc123', 'svdiff.rank': '4' };

/** Both spellings of every route: ComfyUI serves them with and without /api. */
const PREFIXES = ['/api', ''];

function shiftFile(meta: Record<string, string>): Uint8Array {
  return serializeSafetensors(new Map([['layer.0', { data: new Float32Array([1, 2, 3]) }]]), meta);
}

async function start(): Promise<TestServer> {
  return startServer({ dataDir, modelsDir, uploadLimitBytes: 256 * 1024 });
}

beforeAll(async () => {
  dataDir = tempDir('svdiff-comfy-');
  modelsDir = tempDir('svdiff-models-');
  outside = tempDir('svdiff-outside-');
  mkdirSync(join(modelsDir, 'tiny-model'));
  writeFileSync(join(modelsDir, 'tiny-model/model_index.json'), '{}');
  mkdirSync(join(modelsDir, 'not-a-model'));
  writeFileSync(join(outside, 'secret.safetensors'), shiftFile({ secret: 'yes' }));
  writeFileSync(join(outside, 'secret.json'), '{"secret": true}');
  server = await start();
});
afterAll(async () => {
  await server?.close();
});

const u = (path: string) => `${server.url}${path}`;

/** The status of a request whose path goes out exactly as written (no dot-segment resolution). */
function rawStatus(method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('model folders', () => {
  it('GET /embeddings is an empty list and GET /models names the folders', async () => {
    for (const p of PREFIXES) {
      expect((await req(u(`${p}/embeddings`))).json).toEqual([]);
      expect((await req(u(`${p}/models`))).json).toEqual(['models', 'shifts', 'adapters']);
    }
  });

  it('GET /models/{folder} lists model folders, shift files and adapters; unknown → 404', async () => {
    expect((await req(u('/api/models/models'))).json).toEqual(['tiny-model']);
    expect((await req(u('/api/models/adapters'))).json).toEqual([]);
    mkdirSync(join(dataDir, 'shifts/people'), { recursive: true });
    writeFileSync(join(dataDir, 'shifts/people/dog.safetensors'), shiftFile(SHIFT_META));
    writeFileSync(join(dataDir, 'shifts/cat.safetensors'), shiftFile({}));
    writeFileSync(join(dataDir, 'shifts/notes.txt'), 'not a shift file');
    // With the example shifts the server seeds into a fresh data folder.
    const shiftFiles = ['cat.safetensors', 'people/dog.safetensors', 'sks-heart.safetensors', 'sks-moon.safetensors'];
    for (const p of PREFIXES) expect((await req(u(`${p}/models/shifts`))).json).toEqual(shiftFiles);
    mkdirSync(join(dataDir, 'adapters'), { recursive: true });
    writeFileSync(join(dataDir, 'adapters/style.safetensors'), 'x');
    writeFileSync(join(dataDir, 'adapters/notes.txt'), 'not an adapter');
    expect((await req(u('/models/adapters'))).json).toEqual(['style.safetensors']);
    // The experimental model manager's shapes (SDKs' getModelFolders / getModelFiles).
    expect((await req(u('/api/experiment/models'))).json).toEqual([
      { name: 'models', folders: ['models'] },
      { name: 'shifts', folders: ['shifts'] },
      { name: 'adapters', folders: ['adapters'] },
    ]);
    const files = (await req(u('/api/experiment/models/shifts'))).json;
    expect(files.map((f: { name: string }) => f.name)).toEqual(shiftFiles);
    expect(files[0]).toMatchObject({ pathIndex: 0, size: expect.any(Number), modified: expect.any(Number) });
    expect((await req(u('/api/experiment/models/checkpoints'))).status).toBe(404);
    const nope = await req(u('/api/models/checkpoints'));
    expect(nope.status).toBe(404);
    expect(nope.json.error.message).toMatch(/"checkpoints"/);
  });

  it('GET /view_metadata/{folder}?filename= answers the safetensors __metadata__', async () => {
    for (const p of PREFIXES) {
      const r = await req(u(`${p}/view_metadata/shifts?filename=${encodeURIComponent('people/dog.safetensors')}`));
      expect(r.status).toBe(200);
      expect(r.json).toEqual(SHIFT_META);
    }
    expect((await req(u('/api/view_metadata/shifts'))).status).toBe(400);
    expect((await req(u('/api/view_metadata/shifts?filename=notes.txt'))).status).toBe(400);
    expect((await req(u('/api/view_metadata/shifts?filename=gone.safetensors'))).status).toBe(404);
    expect((await req(u('/api/view_metadata/checkpoints?filename=cat.safetensors'))).status).toBe(404);
    // A file without __metadata__ → 404, as ComfyUI answers.
    expect((await req(u('/api/view_metadata/shifts?filename=cat.safetensors'))).status).toBe(404);
    writeFileSync(join(dataDir, 'shifts/broken.safetensors'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2]));
    expect((await req(u('/api/view_metadata/shifts?filename=broken.safetensors'))).status).toBe(422);
  });

  it('refuses metadata paths that leave the folder', async () => {
    symlinkSync(join(outside, 'secret.safetensors'), join(dataDir, 'shifts/link.safetensors'));
    for (const name of ['../../' + outside + '/secret.safetensors', '../secret.safetensors', `${outside}/secret.safetensors`, 'link.safetensors', 'a\0.safetensors']) {
      const r = await req(u(`/api/view_metadata/shifts?filename=${encodeURIComponent(name)}`));
      expect(r.status, name).toBe(403);
      expect(r.body.toString()).not.toMatch(/"secret":"yes"/);
    }
  });
});

describe('userdata', () => {
  const alice = { 'comfy-user': 'alice' };
  const workflow = '{\n  "nodes": [],\n  "links": []\n}';

  it('writes, reads, lists, moves and deletes a file per user', async () => {
    // ComfyUI's frontend sends the workflow as a string body without a JSON content type.
    const put = await req(u('/api/userdata/workflows%2Fa.json'), 'POST', workflow, { ...alice, 'Content-Type': 'text/plain;charset=UTF-8' });
    expect([put.status, put.json]).toEqual([200, 'workflows/a.json']);
    expect(readFileSync(join(dataDir, 'user/alice/workflows/a.json'), 'utf8')).toBe(workflow);

    const again = await req(u('/api/userdata/workflows%2Fa.json?overwrite=false'), 'POST', '{}', { ...alice, 'Content-Type': 'text/plain' });
    expect(again.status).toBe(409);
    const full = await req(u('/userdata/workflows%2Fb.json?full_info=true'), 'POST', '{"b": 1}', { ...alice, 'Content-Type': 'application/json' });
    expect(full.status).toBe(200);
    expect(full.json).toMatchObject({ path: 'workflows/b.json', size: expect.any(Number) });
    expect(typeof full.json.modified).toBe('number');
    expect(typeof full.json.created).toBe('number');

    const get = await req(u('/api/userdata/workflows%2Fa.json'), 'GET', undefined, alice);
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body.toString('utf8'))).toEqual(JSON.parse(workflow));
    expect(get.headers['content-disposition']).toBe('attachment');
    expect(get.headers['x-content-type-options']).toBe('nosniff');
    // Another user (and the default one) does not see alice's files.
    expect((await req(u('/api/userdata/workflows%2Fa.json'))).status).toBe(404);
    expect((await req(u('/api/userdata/workflows%2Fa.json'), 'GET', undefined, { 'comfy-user': 'bob' })).status).toBe(404);

    mkdirSync(join(dataDir, 'user/alice/workflows/sub'), { recursive: true });
    writeFileSync(join(dataDir, 'user/alice/workflows/sub/c.json'), '{}');
    writeFileSync(join(dataDir, 'user/alice/workflows/.hidden.json'), '{}');
    const list = (q: string) => req(u(`/api/userdata?${q}`), 'GET', undefined, alice);
    expect((await list('dir=workflows')).json).toEqual(['a.json', 'b.json']);
    expect((await list('dir=workflows&recurse=true')).json).toEqual(['a.json', 'b.json', 'sub/c.json']);
    expect((await list('dir=workflows&recurse=true&split=true')).json).toEqual([['a.json', 'a.json'], ['b.json', 'b.json'], ['sub/c.json', 'sub', 'c.json']]);
    const info = (await list('dir=workflows&full_info=true')).json;
    expect(info.map((f: { path: string }) => f.path)).toEqual(['a.json', 'b.json']);
    expect(info[0]).toEqual({ path: 'a.json', size: workflow.length, modified: expect.any(Number), created: expect.any(Number) });
    expect((await list('')).status).toBe(400);
    expect((await list('dir=nothing')).status).toBe(404);

    const v2 = await req(u('/api/v2/userdata?path=workflows'), 'GET', undefined, alice);
    expect(v2.status).toBe(200);
    expect(v2.json.map((e: { path: string; type: string }) => `${e.type}:${e.path}`)).toEqual([
      'directory:workflows/sub',
      'file:workflows/.hidden.json',
      'file:workflows/a.json',
      'file:workflows/b.json',
      'file:workflows/sub/c.json',
    ]);
    expect(v2.json[2]).toMatchObject({ name: 'a.json', size: workflow.length, modified: expect.any(Number) });
    expect((await req(u('/api/v2/userdata'), 'GET', undefined, { 'comfy-user': 'nobody-yet' })).json).toEqual([]);
    expect((await req(u('/api/v2/userdata?path=nothing'), 'GET', undefined, alice)).status).toBe(404);

    const blocked = await req(u('/api/userdata/workflows%2Fa.json/move/workflows%2Fb.json?overwrite=false'), 'POST', undefined, alice);
    expect(blocked.status).toBe(409);
    const moved = await req(u('/api/userdata/workflows%2Fa.json/move/archive%2Fold%2Fa.json'), 'POST', undefined, alice);
    expect([moved.status, moved.json]).toEqual([200, 'archive/old/a.json']);
    expect((await req(u('/api/userdata/workflows%2Fa.json'), 'GET', undefined, alice)).status).toBe(404);
    expect((await req(u('/api/userdata/workflows%2Fa.json/move/x.json'), 'POST', undefined, alice)).status).toBe(404);

    const del = await req(u('/api/userdata/workflows%2Fb.json'), 'DELETE', undefined, alice);
    expect(del.status).toBe(204);
    expect((await req(u('/api/userdata/workflows%2Fb.json'), 'DELETE', undefined, alice)).status).toBe(404);
  });

  it('stores non-JSON bytes as sent', async () => {
    const css = 'body { color: red; }\n';
    const put = await req(u('/api/userdata/user.css'), 'POST', css, { ...alice, 'Content-Type': 'text/css' });
    expect(put.status).toBe(200);
    const get = await req(u('/api/userdata/user.css'), 'GET', undefined, alice);
    expect(get.body.toString('utf8')).toBe(css);
    expect(get.headers['content-type']).toMatch(/^text\/css/);
    expect(get.headers['content-disposition']).toBe('inline');
    const bin = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    expect((await req(u('/api/userdata/blob.bin'), 'POST', bin, { ...alice, 'Content-Type': 'application/octet-stream' })).status).toBe(200);
    const back = await req(u('/api/userdata/blob.bin'), 'GET', undefined, alice);
    expect([back.headers['content-type'], back.body]).toEqual(['application/octet-stream', bin]);
  });

  it('refuses names and users that leave the user folder', async () => {
    writeFileSync(join(dataDir, 'user/escape-target.json'), '{"other": true}');
    symlinkSync(outside, join(dataDir, 'user/alice/out'));
    // (A bare "." or ".." segment never arrives: URL parsers, Node's and browsers', resolve it first.)
    const bad = ['..%2Fescape-target.json', '..%2F..%2Fuser%2Fbob%2Fx.json', '%2Fetc%2Fpasswd', 'a%00b.json', 'out%2Fsecret.json', 'a%5C..%5C..%5Cb.json', '.%2F..', '..%2F'];
    for (const name of bad) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const r = await req(u(`/api/userdata/${name}`), method, method === 'POST' ? '{}' : undefined, { ...alice, 'Content-Type': 'text/plain' });
        expect([400, 403, 404], `${method} ${name}`).toContain(r.status);
        expect(r.body.toString()).not.toMatch(/"secret": ?true|"other": ?true/);
      }
      const mv = await req(u(`/api/userdata/user.css/move/${name}`), 'POST', undefined, alice);
      expect([400, 403, 404], `move to ${name}`).toContain(mv.status);
    }
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toBe('{"secret": true}');
    expect(readFileSync(join(dataDir, 'user/escape-target.json'), 'utf8')).toBe('{"other": true}');
    for (const q of ['dir=..', 'dir=%2Fetc', 'dir=out', 'dir=..%2F..']) {
      expect((await req(u(`/api/userdata?${q}`), 'GET', undefined, alice)).status, q).toBe(403);
    }
    for (const q of ['path=..', 'path=%2Fetc', 'path=out']) {
      expect((await req(u(`/api/v2/userdata?${q}`), 'GET', undefined, alice)).status, q).toBe(403);
    }
    // Sent as is (no URL parsing on the way): a literal ".." file name is refused too.
    for (const [method, path] of [['GET', '/api/userdata/..'], ['POST', '/api/userdata/user.css/move/..'], ['DELETE', '/userdata/..']]) {
      expect(await rawStatus(method, path, alice), `${method} ${path}`).toBe(403);
    }
    for (const user of ['..', '../alice', 'a/b', '__system', 'x y', '.']) {
      const r = await req(u('/api/userdata/user.css'), 'GET', undefined, { 'comfy-user': user });
      expect(r.status, user).toBe(403);
    }
  });
});

describe('users and settings', () => {
  it('GET /users has the single-user shape; POST /users makes an id', async () => {
    for (const p of PREFIXES) expect((await req(u(`${p}/users`))).json).toEqual({ storage: 'server', migrated: true });
    const made = await req(u('/api/users'), 'POST', { username: 'Bob Smith' });
    expect(made.status).toBe(200);
    expect(made.json).toMatch(/^Bob-Smith_[0-9a-f-]{36}$/);
    expect((await req(u('/api/users'), 'POST', { username: 'Bob Smith' })).status).toBe(400);
    expect((await req(u('/api/users'), 'POST', { username: '  ' })).status).toBe(400);
    // The new id works as a comfy-user.
    const put = await req(u('/api/userdata/x.json'), 'POST', '{}', { 'comfy-user': made.json, 'Content-Type': 'text/plain' });
    expect(put.status).toBe(200);
  });

  it('stores settings per user: whole object merged, one id at a time', async () => {
    const alice = { 'comfy-user': 'alice' };
    expect((await req(u('/api/settings'), 'GET', undefined, alice)).json).toEqual({});
    // The frontend posts JSON as text/plain.
    const post = await req(u('/api/settings'), 'POST', JSON.stringify({ 'Comfy.ColorPalette': 'dark', 'Comfy.Size': 3 }), { ...alice, 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(post.status).toBe(200);
    await req(u('/settings'), 'POST', { 'Comfy.Size': 4, 'Comfy.List': [1, 2] }, alice);
    const one = await req(u('/api/settings/Comfy.Locale'), 'POST', JSON.stringify('fr'), { ...alice, 'Content-Type': 'text/plain' });
    expect(one.status).toBe(200);
    await req(u('/api/settings/__proto__'), 'POST', JSON.stringify({ polluted: true }), { ...alice, 'Content-Type': 'text/plain' });
    const all = (await req(u('/api/settings'), 'GET', undefined, alice)).json;
    expect(all).toMatchObject({ 'Comfy.ColorPalette': 'dark', 'Comfy.Size': 4, 'Comfy.List': [1, 2], 'Comfy.Locale': 'fr' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await req(u('/api/settings/Comfy.Locale'), 'GET', undefined, alice)).json).toBe('fr');
    const missing = await req(u('/api/settings/Comfy.Nothing'), 'GET', undefined, alice);
    expect([missing.status, missing.body.toString()]).toEqual([200, 'null']);
    expect((await req(u('/api/settings'))).json).toEqual({});
    expect((await req(u('/api/settings'), 'POST', '[1, 2]', { ...alice, 'Content-Type': 'text/plain' })).status).toBe(400);
    expect((await req(u('/api/settings'), 'POST', '{nope', { ...alice, 'Content-Type': 'text/plain' })).status).toBe(400);
    expect(JSON.parse(readFileSync(join(dataDir, 'user/alice/comfy.settings.json'), 'utf8'))['Comfy.Locale']).toBe('fr');
  });

  it('keeps userdata and settings across a server restart', async () => {
    const alice = { 'comfy-user': 'alice' };
    await req(u('/api/userdata/workflows%2Fkeep.json'), 'POST', '{"keep": 1}', { ...alice, 'Content-Type': 'text/plain' });
    await server.close();
    server = await start();
    expect((await req(u('/api/userdata/workflows%2Fkeep.json'), 'GET', undefined, alice)).body.toString()).toBe('{"keep": 1}');
    expect((await req(u('/api/userdata?dir=archive%2Fold'), 'GET', undefined, alice)).json).toEqual(['a.json']);
    expect((await req(u('/api/settings/Comfy.ColorPalette'), 'GET', undefined, alice)).json).toBe('dark');
  });
});

describe('frontend and system routes', () => {
  it('GET /extensions, /features, /workflow_templates, /i18n', async () => {
    for (const p of PREFIXES) {
      const ext = await req(u(`${p}/extensions`));
      expect(ext.status).toBe(200);
      expect(Array.isArray(ext.json)).toBe(true);
      expect((await req(u(`${p}/features`))).json).toEqual({ supports_preview_metadata: false, max_upload_size: 256 * 1024 });
      expect((await req(u(`${p}/workflow_templates`))).json).toEqual({});
      expect((await req(u(`${p}/i18n`))).json).toEqual({});
    }
  });

  it('GET /system_stats has ComfyUI\'s fields and the studio\'s own', async () => {
    const s = (await req(u('/api/system_stats'))).json;
    expect(Object.keys(s.system)).toEqual(expect.arrayContaining(['os', 'ram_total', 'ram_free', 'comfyui_version', 'python_version', 'pytorch_version', 'embedded_python', 'argv', 'node_version', 'app_version', 'onnxruntime_version']));
    expect(['posix', 'nt']).toContain(s.system.os);
    expect(s.system.comfyui_version).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    expect(s.system.python_version).toMatch(/^n\/a/);
    expect(s.system.embedded_python).toBe(false);
    expect(Array.isArray(s.system.argv)).toBe(true);
    expect(s.devices).toHaveLength(1);
    expect(Object.keys(s.devices[0]).sort()).toEqual(['index', 'name', 'torch_vram_free', 'torch_vram_total', 'type', 'vram_free', 'vram_total']);
    expect(s.devices[0].type).toBe('cpu');
    expect(s.devices[0].vram_total).toBeGreaterThan(0);
  });

  it('POST /free answers 200 with or without a body', async () => {
    for (const p of PREFIXES) {
      expect((await req(u(`${p}/free`), 'POST', { unload_models: true, free_memory: true })).status).toBe(200);
      expect((await req(u(`${p}/free`), 'POST')).status).toBe(200);
    }
  });

  it('object_info entries carry python_module and ComfyUI\'s flags', async () => {
    const info = (await req(u('/api/object_info'))).json;
    for (const def of Object.values(info) as Record<string, unknown>[]) {
      expect(def).toMatchObject({ python_module: 'nodes', deprecated: false, experimental: false, output_node: expect.any(Boolean) });
      for (const k of ['input', 'input_order', 'output', 'output_is_list', 'output_name', 'name', 'display_name', 'description', 'category']) expect(def).toHaveProperty(k);
    }
  });
});

describe('Sample and DDIM Invert steps', () => {
  it('advertise the largest step count the embedded model can run', async () => {
    const config = JSON.parse(readFileSync(join(repoRoot, 'models/svdiff-shapes/scheduler/scheduler_config.json'), 'utf8'));
    const model = { config: { scheduler: parseSchedulerConfig(config) } } as never;
    for (const file of ['sample.ts', 'ddim-invert.ts']) {
      const { default: node } = await import(`../../nodes/${file}`);
      const max = (node.inputs.steps as { max: number }).max;
      expect(() => checkSteps(model, max)).not.toThrow();
      expect(() => checkSteps(model, max + 1)).toThrow(/use at most/);
    }
  });
});
