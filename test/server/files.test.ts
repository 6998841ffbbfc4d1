// Uploads, /view and saved workflows, including paths that try to leave the data folder.
import { mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { multipart, req, startServer, tempDir, type TestServer } from './helpers.ts';

let server: TestServer;
let outside: string;

function pngBytes(w = 3, h = 2): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data.fill(128);
  return PNG.sync.write(png);
}

function upload(fields: Record<string, string>, name: string, data: Buffer, url = server.url) {
  const m = multipart(fields, { field: 'image', name, data, type: 'image/png' });
  return req(`${url}/api/upload/image`, 'POST', m.body, { 'Content-Type': m.contentType });
}

beforeAll(async () => {
  server = await startServer({ uploadLimitBytes: 64 * 1024 });
  outside = tempDir('svdiff-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  writeFileSync(join(outside, 'secret.json'), '{"secret": true}');
});
afterAll(async () => {
  await server?.close();
});

describe('upload', () => {
  it('stores a PNG in input/ and answers {name, subfolder, type}', async () => {
    const r = await upload({}, 'cat.png', pngBytes());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ name: 'cat.png', subfolder: '', type: 'input' });
    expect(readFileSync(join(server.dataDir, 'input/cat.png'))).toEqual(pngBytes());
    const v = await req(`${server.url}/view?filename=cat.png&type=input`);
    expect([v.status, v.headers['content-type']]).toEqual([200, 'image/png']);
  });

  it('keeps an existing file unless overwrite is set', async () => {
    const again = await upload({}, 'cat.png', pngBytes(5, 5));
    expect(again.json.name).toBe('cat (1).png');
    const over = await upload({ overwrite: 'true' }, 'cat.png', pngBytes(6, 6));
    expect(over.json.name).toBe('cat.png');
    expect(PNG.sync.read(readFileSync(join(server.dataDir, 'input/cat.png'))).width).toBe(6);
  });

  it('accepts a JPEG into a subfolder', async () => {
    const raw = { width: 4, height: 4, data: Buffer.alloc(64, 200) };
    const jpg = Buffer.from(jpeg.encode(raw, 90).data);
    const r = await upload({ subfolder: 'dogs', type: 'input' }, 'dog.jpg', jpg);
    expect(r.json).toEqual({ name: 'dog.jpg', subfolder: 'dogs', type: 'input' });
    expect(existsSync(join(server.dataDir, 'input/dogs/dog.jpg'))).toBe(true);
  });

  it('refuses a non-image, a truncated PNG, an oversized file and a missing file field', async () => {
    const text = await upload({}, 'notes.png', Buffer.from('hello, not an image'));
    expect([text.status, text.json.error.type]).toEqual([400, 'invalid_image']);
    const truncated = await upload({}, 'half.png', pngBytes(64, 64).subarray(0, 60));
    expect(truncated.status).toBe(400);
    const bomb = pngBytes(8, 8);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    const bombed = await upload({}, 'bomb.png', bomb);
    expect([bombed.status, bombed.json.error.type]).toEqual([413, 'image_too_large']);
    expect(bombed.json.error.message).toMatch(/100000×100000 8-bit 4-channel PNG takes \d+ MiB to decode/);
    const big = await upload({}, 'big.png', Buffer.alloc(65 * 1024, 1));
    expect([big.status, big.json.error.type]).toEqual([413, 'file_too_large']);
    const m = multipart({ subfolder: '' });
    const none = await req(`${server.url}/api/upload/image`, 'POST', m.body, { 'Content-Type': m.contentType });
    expect(none.status).toBe(400);
    expect(existsSync(join(server.dataDir, 'input/notes.png'))).toBe(false);
  });

  it('refuses subfolders and types that leave the data folder', async () => {
    expect((await upload({ subfolder: '../../escape' }, 'x.png', pngBytes())).status).toBe(403);
    expect((await upload({ subfolder: outside }, 'x.png', pngBytes())).status).toBe(403);
    expect((await upload({ type: 'models' }, 'x.png', pngBytes())).status).toBe(400);
    symlinkSync(outside, join(server.dataDir, 'input/link-out'));
    expect((await upload({ subfolder: 'link-out' }, 'x.png', pngBytes())).status).toBe(403);
    expect(existsSync(join(outside, 'x.png'))).toBe(false);
  });
});

describe('upload: malformed forms and awkward names answer 4xx, never 500, and never the data path', () => {
  const boundary = 'XbOuNdArY';
  const form = `multipart/form-data; boundary=${boundary}`;
  const post = (body: Buffer | string, contentType = form) => req(`${server.url}/api/upload/image`, 'POST', body, { 'Content-Type': contentType });
  const part = (headers: string, data: Buffer) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), data, Buffer.from('\r\n')]);
  const end = Buffer.from(`--${boundary}--\r\n`);

  function expectClientError(r: Awaited<ReturnType<typeof req>>, what: string, status?: number): void {
    if (status !== undefined) expect(r.status, what).toBe(status);
    expect(r.status, what).toBeGreaterThanOrEqual(400);
    expect(r.status, what).toBeLessThan(500);
    expect(r.json?.error?.type, what).toBeTypeOf('string');
    const text = r.body.toString();
    for (const p of [server.dataDir, realpathSync(server.dataDir)]) expect(text, what).not.toContain(p);
  }

  it('refuses broken multipart bodies with 400', async () => {
    expectClientError(await post('abc', 'multipart/form-data'), 'no boundary', 400);
    expectClientError(await post(part('Content-Disposition: form-data; name="image"; filename="a.png"', pngBytes()), form), 'no closing boundary', 400);
    expectClientError(await post(Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n`), pngBytes()])), 'part without its end', 400);
    expectClientError(await post(Buffer.concat([part('Content-Type: image/png', pngBytes()), end])), 'no Content-Disposition', 400);
    expectClientError(await post(Buffer.concat([part('Content-Disposition: form-data; name="image"; filename="a\0b.png"', pngBytes()), end])), 'NUL in the header', 400);
    const encodedNul = await post(Buffer.concat([part("Content-Disposition: form-data; name=\"image\"; filename*=UTF-8''a%00b.png", pngBytes()), end]));
    expectClientError(encodedNul, 'NUL in filename*', 400);
    expect(readdirSync(join(server.dataDir, 'input')).some((n) => n.startsWith('a'))).toBe(false);
  });

  it('refuses names that are too long for the file system with 400, and keeps a 200-byte one', async () => {
    const long = await upload({}, `${'a'.repeat(300)}.png`, pngBytes());
    expectClientError(long, 'long filename', 400);
    expect(long.json.error.type).toBe('invalid_filename');
    const longSub = await upload({ subfolder: 's'.repeat(300) }, 'x.png', pngBytes());
    expectClientError(longSub, 'long subfolder', 400);
    expect(longSub.json.error.type).toBe('invalid_subfolder');
    expectClientError(await upload({ subfolder: `ok/${'é'.repeat(150)}` }, 'x.png', pngBytes()), 'long multibyte subfolder part', 400);
    const name = `${'b'.repeat(196)}.png`;
    expect((await upload({}, name, pngBytes())).json.name).toBe(name);
    expect((await upload({}, name, pngBytes())).json.name).toBe(`${'b'.repeat(196)} (1).png`);
  });

  it('answers 409 when a file or folder is in the way', async () => {
    expect((await upload({}, 'plain.png', pngBytes())).status).toBe(200);
    const intoFile = await upload({ subfolder: 'plain.png' }, 'x.png', pngBytes());
    expectClientError(intoFile, 'subfolder is a file (EEXIST)', 409);
    expect(intoFile.json.error.type).toBe('path_conflict');
    expectClientError(await upload({ subfolder: 'plain.png/deeper' }, 'x.png', pngBytes()), 'subfolder below a file (ENOTDIR)', 409);
    mkdirSync(join(server.dataDir, 'input/a-folder.png'));
    const ontoFolder = await upload({ overwrite: 'true' }, 'a-folder.png', pngBytes());
    expectClientError(ontoFolder, 'overwrite onto a folder (EISDIR)', 409);
    // Without overwrite the folder is kept and the file stored beside it.
    expect((await upload({}, 'a-folder.png', pngBytes())).json.name).toBe('a-folder (1).png');
  });
});

describe('view', () => {
  it('refuses .., absolute paths and symlinks leading outside', async () => {
    const tries = [
      `filename=${encodeURIComponent('../../../etc/passwd')}&type=output`,
      `filename=passwd&subfolder=${encodeURIComponent('../../../etc')}&type=output`,
      `filename=${encodeURIComponent(join(outside, 'secret.txt'))}&type=output`,
      `filename=secret.txt&subfolder=${encodeURIComponent(outside)}`,
    ];
    symlinkSync(join(outside, 'secret.txt'), join(server.dataDir, 'output/secret-link.txt'));
    tries.push('filename=secret-link.txt&type=output');
    for (const q of tries) {
      const r = await req(`${server.url}/api/view?${q}`);
      expect(r.status, q).toBe(403);
      expect(r.body.toString()).not.toContain('top secret');
    }
    expect((await req(`${server.url}/api/view?filename=x.png&type=elsewhere`)).status).toBe(400);
    expect((await req(`${server.url}/api/view?filename=missing.png`)).status).toBe(404);
    expect((await req(`${server.url}/api/view`)).status).toBe(400);
  });

  it('follows a symlink that stays inside the data folder', async () => {
    mkdirSync(join(server.dataDir, 'output/real'), { recursive: true });
    writeFileSync(join(server.dataDir, 'output/real/a.txt'), 'inside');
    symlinkSync(join(server.dataDir, 'output/real'), join(server.dataDir, 'output/alias'));
    const r = await req(`${server.url}/api/view?filename=a.txt&subfolder=alias`);
    expect([r.status, r.body.toString()]).toEqual([200, 'inside']);
  });
});

describe('workflows', () => {
  const wf = { last_node_id: 2, last_link_id: 1, nodes: [{ id: 1, type: 'TestConstant' }], links: [], groups: [], config: {}, extra: {}, version: 0.4 };

  it('saves, lists, reads and deletes a workflow', async () => {
    const put = await req(`${server.url}/api/workflows/${encodeURIComponent('my flow')}`, 'PUT', wf);
    expect([put.status, put.json]).toEqual([200, { name: 'my flow' }]);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'workflows/my flow.json'), 'utf8'))).toEqual(wf);
    const list = await req(`${server.url}/api/workflows`);
    expect(list.json.map((w: { name: string }) => w.name)).toContain('my flow');
    const got = await req(`${server.url}/workflows/my%20flow.json`);
    expect([got.status, got.json]).toEqual([200, wf]);
    const del = await req(`${server.url}/api/workflows/my%20flow`, 'DELETE');
    expect(del.status).toBe(200);
    expect((await req(`${server.url}/api/workflows/my%20flow`)).status).toBe(404);
    expect((await req(`${server.url}/api/workflows/my%20flow`, 'DELETE')).status).toBe(404);
  });

  it('renames a saved workflow\'s file, refusing to overwrite another unless asked', async () => {
    await req(`${server.url}/api/workflows/old`, 'PUT', wf);
    await req(`${server.url}/api/workflows/taken`, 'PUT', { ...wf, last_node_id: 9 });
    const moved = await req(`${server.url}/api/workflows/old/rename`, 'POST', { name: 'new name.json' });
    expect([moved.status, moved.json]).toEqual([200, { name: 'new name' }]);
    expect(existsSync(join(server.dataDir, 'workflows/old.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'workflows/new name.json'), 'utf8'))).toEqual(wf);
    expect((await req(`${server.url}/api/workflows/new%20name/rename`, 'POST', { name: 'taken' })).status).toBe(409);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'workflows/taken.json'), 'utf8')).last_node_id).toBe(9);
    expect((await req(`${server.url}/api/workflows/new%20name/rename`, 'POST', { name: 'taken', overwrite: true })).status).toBe(200);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'workflows/taken.json'), 'utf8'))).toEqual(wf);
    expect((await req(`${server.url}/api/workflows/missing/rename`, 'POST', { name: 'x' })).status).toBe(404);
    expect((await req(`${server.url}/api/workflows/taken/rename`, 'POST', { name: '../out' })).status).toBe(400);
    expect((await req(`${server.url}/api/workflows/taken/rename`, 'POST', {})).status).toBe(400);
    await req(`${server.url}/api/workflows/taken`, 'DELETE');
  });

  it('refuses bodies that are not a JSON object', async () => {
    expect((await req(`${server.url}/api/workflows/a`, 'PUT', [1, 2])).status).toBe(400);
    expect((await req(`${server.url}/api/workflows/a`, 'PUT', '{"nodes": [')).status).toBe(400);
    expect((await req(`${server.url}/api/workflows/a`, 'PUT', 'plain', { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect((await req(`${server.url}/api/workflows/a`, 'PUT', '', { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect(existsSync(join(server.dataDir, 'workflows/a.json'))).toBe(false);
  });

  it('saves a workflow whatever the Content-Type names (as ComfyUI reads JSON bodies)', async () => {
    const put = await req(`${server.url}/api/workflows/plain`, 'PUT', JSON.stringify(wf), { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect([put.status, put.json]).toEqual([200, { name: 'plain' }]);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'workflows/plain.json'), 'utf8'))).toEqual(wf);
  });

  it('refuses names that leave the workflows folder and symlinks leading outside', async () => {
    for (const name of ['..%2F..%2Fescape', '..', '.hidden', encodeURIComponent(join(outside, 'secret'))]) {
      const put = await req(`${server.url}/api/workflows/${name}`, 'PUT', wf);
      expect(put.status, name).toBeGreaterThanOrEqual(400);
      expect(put.status, name).toBeLessThan(500);
      const get = await req(`${server.url}/api/workflows/${name}`);
      expect(get.status, name).toBeGreaterThanOrEqual(400);
    }
    symlinkSync(join(outside, 'secret.json'), join(server.dataDir, 'workflows/evil.json'));
    const get = await req(`${server.url}/api/workflows/evil`);
    expect(get.status).toBe(403);
    expect(get.body.toString()).not.toContain('secret": true');
    expect((await req(`${server.url}/api/workflows/evil`, 'PUT', wf)).status).toBe(403);
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toBe('{"secret": true}');
    expect((await req(`${server.url}/api/workflows/evil`, 'DELETE')).status).toBe(403);
    expect(existsSync(join(outside, 'secret.json'))).toBe(true);
    expect((await req(`${server.url}/api/workflows`)).json.map((w: { name: string }) => w.name)).not.toContain('evil');
  });
});

describe('templates', () => {
  it('lists the repository examples (maybe none) and refuses names that climb out', async () => {
    const list = await req(`${server.url}/api/templates`);
    expect(list.status).toBe(200);
    expect(Array.isArray(list.json)).toBe(true);
    expect((await req(`${server.url}/api/templates/no-such-template`)).status).toBe(404);
    expect((await req(`${server.url}/api/templates/..%2Fpackage`)).status).toBe(400);
  });
});
