// GET /view's channel= and preview= conversions and POST /upload/mask, against a real server.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { encodePng, readPngText, resizeImage, resizePlane } from '../../server/image/index.ts';
import { decodeSlots, MAX_CONCURRENT_DECODES } from '../../server/http/image-check.ts';
import { rawPng } from '../../server/image/image.testing.ts';
import { multipart, req, startServer, type Reply, type TestServer } from './helpers.ts';

let server: TestServer;

type Px = [number, number, number, number];

/** An 8-bit RGBA PNG with the pixel colours `px(x, y)` gives. */
function rgbaPng(w: number, h: number, px: (x: number, y: number) => Px): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set(px(x, y), (y * w + x) * 4);
  return PNG.sync.write(png);
}

/** A JPEG of one flat colour (flat, so the codec keeps it within a step or two). */
function flatJpeg(w: number, h: number, rgb: [number, number, number], quality = 95): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return Buffer.from(jpeg.encode({ width: w, height: h, data }, quality).data);
}

/** Inserts an APP1 Exif segment holding only an orientation tag. */
function withOrientation(file: Buffer, orientation: number): Buffer {
  const tiff = new DataView(new ArrayBuffer(26));
  tiff.setUint16(0, 0x4d4d);
  tiff.setUint16(2, 42);
  tiff.setUint32(4, 8);
  tiff.setUint16(8, 1);
  tiff.setUint16(10, 0x0112);
  tiff.setUint16(12, 3);
  tiff.setUint32(14, 1);
  tiff.setUint16(18, orientation);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from(tiff.buffer)]);
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  return Buffer.concat([file.subarray(0, 2), seg, file.subarray(2)]);
}

const decodePngFile = (b: Buffer) => PNG.sync.read(b);
const pixel = (png: { width: number; data: Uint8Array }, x: number, y: number): Px => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4)) as Px;

/** 4×3, every pixel different, alpha from 0 to 255 (the colour under alpha 0 is not black). */
const rgbaPx = (x: number, y: number): Px => [10 + x * 40, 20 + y * 50, 200 - x * 10 - y * 5, Math.min(255, (x + y * 4) * 24)];

function expectClientError(r: Reply, status: number, type: string, what = ''): void {
  expect([r.status, r.json?.error?.type], what).toEqual([status, type]);
  for (const p of [server.dataDir, realpathSync(server.dataDir)]) expect(r.body.toString(), what).not.toContain(p);
}

beforeAll(async () => {
  server = await startServer();
  const out = join(server.dataDir, 'output');
  writeFileSync(join(out, 'rgba.png'), rgbaPng(4, 3, rgbaPx));
  writeFileSync(join(out, 'photo.jpg'), flatJpeg(16, 8, [200, 100, 50]));
  writeFileSync(join(out, 'notes.txt'), 'not an image');
  writeFileSync(join(out, 'fake.png'), 'not a png either');
  const bomb = rgbaPng(8, 8, () => [0, 0, 0, 255]);
  bomb.writeUInt32BE(100_000, 16);
  bomb.writeUInt32BE(100_000, 20);
  writeFileSync(join(out, 'bomb.png'), bomb);
  writeFileSync(join(out, 'broken.png'), rgbaPng(64, 64, (x, y) => [x, y, x ^ y, 255]).subarray(0, 80));
});
afterAll(async () => {
  await server?.close();
});

const view = (q: string) => req(`${server.url}/api/view?${q}`);

describe('/view channel=', () => {
  it('rgba (or none) answers the file as stored', async () => {
    const stored = readFileSync(join(server.dataDir, 'output/rgba.png'));
    for (const q of ['filename=rgba.png', 'filename=rgba.png&channel=rgba', 'filename=rgba.png&channel=']) {
      const r = await view(q);
      expect([r.status, r.headers['content-type']], q).toEqual([200, 'image/png']);
      expect(r.body.equals(stored), q).toBe(true);
    }
    const j = await view('filename=photo.jpg&channel=rgba');
    expect([j.status, j.headers['content-type']]).toEqual([200, 'image/jpeg']);
    expect(j.body.equals(readFileSync(join(server.dataDir, 'output/photo.jpg')))).toBe(true);
  });

  it('rgb answers a PNG without alpha, the colour under transparent pixels kept', async () => {
    const r = await view('filename=rgba.png&channel=rgb');
    expect([r.status, r.headers['content-type']]).toEqual([200, 'image/png']);
    expect(r.headers['content-disposition']).toBe('inline; filename="rgba.png"');
    expect(r.body[25]).toBe(2); // IHDR colour type: RGB
    const png = decodePngFile(r.body);
    expect([png.width, png.height]).toEqual([4, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expect(pixel(png, x, y)).toEqual([...rgbaPx(x, y).slice(0, 3), 255]);
  });

  it('a answers ComfyUI\'s alpha image: black RGBA whose alpha is the image\'s', async () => {
    const r = await view('filename=rgba.png&channel=a');
    expect([r.status, r.headers['content-type']]).toEqual([200, 'image/png']);
    expect(r.body[25]).toBe(6); // RGBA
    const png = decodePngFile(r.body);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expect(pixel(png, x, y)).toEqual([0, 0, 0, rgbaPx(x, y)[3]]);
  });

  it('converts a JPEG: rgb as a PNG of its pixels, a as alpha 255 everywhere', async () => {
    const rgb = await view('filename=photo.jpg&channel=rgb');
    expect([rgb.status, rgb.headers['content-type']]).toEqual([200, 'image/png']);
    expect(rgb.headers['content-disposition']).toBe('inline; filename="photo.png"');
    const png = decodePngFile(rgb.body);
    expect([png.width, png.height]).toEqual([16, 8]);
    const [r, g, b] = pixel(png, 5, 5);
    expect(Math.abs(r - 200) + Math.abs(g - 100) + Math.abs(b - 50)).toBeLessThan(8);
    const a = decodePngFile((await view('filename=photo.jpg&channel=a')).body);
    expect([a.width, a.height]).toEqual([16, 8]);
    for (let i = 0; i < 16 * 8; i++) expect(Array.from(a.data.subarray(i * 4, i * 4 + 4))).toEqual([0, 0, 0, 255]);
  });

  it('turns a JPEG upright by its EXIF orientation, as the browser shows it', async () => {
    writeFileSync(join(server.dataDir, 'output/turned.jpg'), withOrientation(flatJpeg(16, 8, [0, 128, 255]), 6));
    const png = decodePngFile((await view('filename=turned.jpg&channel=rgb')).body);
    expect([png.width, png.height]).toEqual([8, 16]);
  });

  it('keeps a tRNS key colour under its transparent pixels and gives it alpha 0', async () => {
    // 2×1 8-bit grey, key 7: the first pixel is transparent.
    const keyed = rawPng({ width: 2, height: 1, depth: 8, colorType: 0, rows: [Uint8Array.of(7, 99)], trns: Uint8Array.of(0, 7) });
    writeFileSync(join(server.dataDir, 'output/keyed.png'), keyed);
    const rgb = decodePngFile((await view('filename=keyed.png&channel=rgb')).body);
    expect([pixel(rgb, 0, 0), pixel(rgb, 1, 0)]).toEqual([[7, 7, 7, 255], [99, 99, 99, 255]]);
    const a = decodePngFile((await view('filename=keyed.png&channel=a')).body);
    expect([pixel(a, 0, 0)[3], pixel(a, 1, 0)[3]]).toEqual([0, 255]);
  });
});

describe('/view preview=', () => {
  it('answers decodable JPEGs of the same size for jpeg;q and webp;q (no WebP encoder: JPEG)', async () => {
    const tries = [...['jpeg;50', 'webp;90'].flatMap((p) => [[p, 'rgba.png'], [p, 'photo.jpg']]), ['webp', 'photo.jpg'], ['jpeg;', 'rgba.png'], ['JPEG;10', 'rgba.png']];
    for (const [p, f] of tries) {
      const r = await view(`filename=${f}&preview=${encodeURIComponent(p)}`);
      expect([r.status, r.headers['content-type']], `${f} ${p}`).toEqual([200, 'image/jpeg']);
      expect(r.headers['content-disposition']).toMatch(/filename="(rgba|photo)\.jpg"/);
      const img = jpeg.decode(r.body, { useTArray: true });
      expect([img.width, img.height], `${f} ${p}`).toEqual(f === 'rgba.png' ? [4, 3] : [16, 8]);
    }
    // The quality is used: fewer bytes at 20 than at 95, for the same picture.
    writeFileSync(join(server.dataDir, 'output/noise.png'), rgbaPng(64, 64, (x, y) => [(x * 97 + y * 31) % 256, (x * y * 7) % 256, (x * 13 + y * 101) % 256, 255]));
    const q = async (n: number) => (await view(`filename=noise.png&preview=${encodeURIComponent(`jpeg;${n}`)}`)).body.length;
    expect(await q(20)).toBeLessThan(await q(95));
  });

  it('with channel=rgb answers the JPEG; with rgba or a, the format that keeps alpha (PNG)', async () => {
    const rgb = await view(`filename=rgba.png&channel=rgb&preview=${encodeURIComponent('webp;80')}`);
    expect(rgb.headers['content-type']).toBe('image/jpeg');
    const rgba = await view(`filename=rgba.png&channel=rgba&preview=${encodeURIComponent('webp;80')}`);
    expect([rgba.status, rgba.headers['content-type']]).toEqual([200, 'image/png']);
    expect(rgba.body.equals(readFileSync(join(server.dataDir, 'output/rgba.png')))).toBe(true);
    const a = await view(`filename=rgba.png&channel=a&preview=${encodeURIComponent('jpeg;50')}`);
    expect([a.status, a.headers['content-type']]).toEqual([200, 'image/png']);
    expect(pixel(decodePngFile(a.body), 3, 2)).toEqual([0, 0, 0, rgbaPx(3, 2)[3]]);
  });
});

describe('/view: bad channel and preview values, files that cannot be converted', () => {
  it('refuses unknown values with 400 naming the parameter', async () => {
    for (const c of ['rgbx', 'RGB', 'alpha', 'r']) expectClientError(await view(`filename=rgba.png&channel=${c}`), 400, 'invalid_channel', c);
    expectClientError(await view('filename=rgba.png&channel=rgb&channel=a'), 400, 'invalid_channel', 'repeated');
    for (const p of ['gif;90', 'png', 'jpeg;101', 'jpeg;abc', 'jpeg;-1', 'jpeg;50;1', 'webp;9.5', ';90']) {
      const r = await view(`filename=rgba.png&preview=${encodeURIComponent(p)}`);
      expectClientError(r, 400, 'invalid_preview', p);
      expect(r.json.error.message).toContain('preview');
    }
    // Checked before the file is looked for.
    expectClientError(await view('filename=missing.png&channel=x'), 400, 'invalid_channel');
  });

  it('refuses channel/preview on files that are not PNG or JPEG, and serves them as stored otherwise', async () => {
    expectClientError(await view('filename=notes.txt&channel=rgb'), 400, 'invalid_channel');
    expectClientError(await view('filename=notes.txt&channel=a'), 400, 'invalid_channel');
    expectClientError(await view(`filename=notes.txt&preview=${encodeURIComponent('webp;90')}`), 400, 'invalid_preview');
    expectClientError(await view(`filename=notes.txt&channel=rgba&preview=jpeg`), 400, 'invalid_preview');
    expectClientError(await view('filename=fake.png&channel=rgb'), 400, 'invalid_channel');
    const plain = await view('filename=notes.txt&channel=rgba');
    expect([plain.status, plain.body.toString()]).toEqual([200, 'not an image']);
  });

  it('queues conversions behind the decode slots the upload check uses', async () => {
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => view(`filename=rgba.png&channel=${i % 2 ? 'a' : 'rgb'}`)));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(decodeSlots.peak).toBeGreaterThan(0);
    expect(decodeSlots.peak).toBeLessThanOrEqual(MAX_CONCURRENT_DECODES);
  });

  it('refuses a decompression bomb from its header (413), answers 422 for a corrupt image, 404/403 as without', async () => {
    const bomb = await view('filename=bomb.png&channel=rgb');
    expectClientError(bomb, 413, 'image_too_large');
    expect(bomb.json.error.message).toMatch(/100000×100000/);
    expectClientError(await view('filename=bomb.png&preview=jpeg'), 413, 'image_too_large');
    expectClientError(await view('filename=broken.png&channel=a'), 422, 'invalid_image');
    expectClientError(await view('filename=missing.png&channel=rgb'), 404, 'not_found');
    expect((await view(`filename=${encodeURIComponent('../../../etc/passwd')}&channel=rgb`)).status).toBe(403);
    expect((await view(`filename=passwd&subfolder=${encodeURIComponent('../../../etc')}&preview=jpeg`)).status).toBe(403);
  });
});

describe('POST /upload/mask', () => {
  const original = () => encodePng(new Float32Array(4 * 4 * 3).map((_, i) => ((i * 16) % 256) / 255), 4, 4, { prompt: '{"1":{}}', workflow: 'wf' });
  /** A 4×4 mask: alpha 0 on the left half, 255 on the right; its colour does not matter. */
  const mask = () => rgbaPng(4, 4, (x) => [255, 0, 0, x < 2 ? 0 : 255]);

  function postMask(fields: Record<string, string>, name: string, data: Buffer) {
    const m = multipart(fields, { field: 'image', name, data, type: 'image/png' });
    return req(`${server.url}/api/upload/mask`, 'POST', m.body, { 'Content-Type': m.contentType });
  }
  const ref = (filename: string, extra: Record<string, unknown> = {}) => JSON.stringify({ filename, subfolder: '', type: 'input', ...extra });

  beforeAll(() => {
    writeFileSync(join(server.dataDir, 'input/orig.png'), original());
    writeFileSync(join(server.dataDir, 'input/photo.jpg'), flatJpeg(8, 8, [30, 160, 90]));
    writeFileSync(join(server.dataDir, 'input/notes.txt'), 'text');
  });

  it('puts the mask\'s alpha into the original and stores an RGBA PNG under the upload\'s name', async () => {
    const r = await postMask({ original_ref: ref('orig.png'), subfolder: 'clipspace', type: 'input' }, 'clipspace-mask-1.png', mask());
    expect([r.status, r.json]).toEqual([200, { name: 'clipspace-mask-1.png', subfolder: 'clipspace', type: 'input' }]);
    const saved = readFileSync(join(server.dataDir, 'input/clipspace/clipspace-mask-1.png'));
    const png = decodePngFile(saved);
    const orig = decodePngFile(Buffer.from(original()));
    expect([png.width, png.height]).toEqual([4, 4]);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) expect(pixel(png, x, y)).toEqual([...pixel(orig, x, y).slice(0, 3), x < 2 ? 0 : 255]);
    }
    // The original's text chunks (prompt, workflow) stay, as ComfyUI keeps them.
    expect({ ...readPngText(saved) }).toEqual({ prompt: '{"1":{}}', workflow: 'wf' });
    // /view's channel=a shows the new alpha.
    const a = decodePngFile((await view('filename=clipspace-mask-1.png&subfolder=clipspace&type=input&channel=a')).body);
    expect([pixel(a, 0, 0)[3], pixel(a, 3, 3)[3]]).toEqual([0, 255]);
  });

  it('keeps an existing file unless overwrite is set, as /upload/image does', async () => {
    const first = await postMask({ original_ref: ref('orig.png') }, 'm.png', mask());
    expect(first.json).toEqual({ name: 'm.png', subfolder: '', type: 'input' });
    const again = await postMask({ original_ref: ref('orig.png') }, 'm.png', mask());
    expect(again.json.name).toBe('m (1).png');
    const over = await postMask({ original_ref: ref('orig.png'), overwrite: 'true' }, 'm.png', rgbaPng(4, 4, () => [0, 0, 0, 77]));
    expect(over.json.name).toBe('m.png');
    expect(pixel(decodePngFile(readFileSync(join(server.dataDir, 'input/m.png'))), 1, 1)[3]).toBe(77);
  });

  it('takes a JPEG original and a mask without alpha (alpha 255), and the original from output/ by default', async () => {
    const j = await postMask({ original_ref: ref('photo.jpg') }, 'jm.png', mask());
    expect(j.status).toBe(200);
    const png = decodePngFile(readFileSync(join(server.dataDir, 'input/jm.png')));
    const [r, g, b, a] = pixel(png, 7, 7);
    expect(Math.abs(r - 30) + Math.abs(g - 160) + Math.abs(b - 90)).toBeLessThan(8);
    expect([pixel(png, 0, 0)[3], a]).toEqual([0, 255]);
    // An RGB mask has no alpha: opaque everywhere. The original is output/rgba.png (no type in original_ref → output).
    const opaque = await postMask({ original_ref: JSON.stringify({ filename: 'rgba.png' }) }, 'opaque.png', flatJpeg(4, 3, [0, 0, 0]));
    expect(opaque.status).toBe(200);
    const o = decodePngFile(readFileSync(join(server.dataDir, 'input/opaque.png')));
    expect(pixel(o, 1, 0)).toEqual([...rgbaPx(1, 0).slice(0, 3), 255]);
  });

  it('resizes a mask of another size to the original\'s (bilinear, as resizeImage)', async () => {
    // 2×2 mask → 4×4 original: alpha 0 | 255 columns, spread over the four columns.
    const small = rgbaPng(2, 2, (x) => [0, 0, 0, x === 0 ? 0 : 255]);
    const r = await postMask({ original_ref: ref('orig.png') }, 'resized.png', small);
    expect(r.status).toBe(200);
    const png = decodePngFile(readFileSync(join(server.dataDir, 'input/resized.png')));
    expect([png.width, png.height]).toEqual([4, 4]);
    const expected = resizePlane(Uint8Array.of(0, 255, 0, 255), 2, 2, 4, 4, 'bilinear');
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(pixel(png, x, y)[3]).toBe(Math.round(expected[y * 4 + x]));
    expect([0, 1, 2, 3].map((x) => pixel(png, x, 0)[3])).toEqual([0, 64, 191, 255]);
    // A larger mask shrinks onto the original.
    const large = await postMask({ original_ref: ref('orig.png') }, 'shrunk.png', rgbaPng(8, 8, (x) => [0, 0, 0, x < 4 ? 0 : 255]));
    const s = decodePngFile(readFileSync(join(server.dataDir, 'input/shrunk.png')));
    expect([s.width, s.height, pixel(s, 0, 0)[3], pixel(s, 3, 3)[3]]).toEqual([4, 4, 0, 255]);
    expect(large.status).toBe(200);
  });

  it('refuses a missing or bad original_ref (400), a missing original (404), one outside its folder (403)', async () => {
    const before = readdirSync(join(server.dataDir, 'input')).sort();
    expectClientError(await postMask({}, 'x.png', mask()), 400, 'invalid_original_ref', 'missing');
    expectClientError(await postMask({ original_ref: '{"filename": ' }, 'x.png', mask()), 400, 'invalid_original_ref', 'bad JSON');
    expectClientError(await postMask({ original_ref: '"orig.png"' }, 'x.png', mask()), 400, 'invalid_original_ref', 'not an object');
    expectClientError(await postMask({ original_ref: '{"subfolder": ""}' }, 'x.png', mask()), 400, 'invalid_original_ref', 'no filename');
    expectClientError(await postMask({ original_ref: '{"filename": 3}' }, 'x.png', mask()), 400, 'invalid_original_ref', 'filename not a string');
    expectClientError(await postMask({ original_ref: ref('orig.png', { subfolder: 5 }) }, 'x.png', mask()), 400, 'invalid_original_ref', 'subfolder not a string');
    expectClientError(await postMask({ original_ref: ref('orig.png', { type: 'models' }) }, 'x.png', mask()), 400, 'invalid_original_ref', 'bad type');
    expectClientError(await postMask({ original_ref: ref('notes.txt') }, 'x.png', mask()), 400, 'invalid_original_ref', 'not an image');
    expectClientError(await postMask({ original_ref: ref('nope.png') }, 'x.png', mask()), 404, 'not_found', 'missing original');
    expectClientError(await postMask({ original_ref: ref('orig.png', { subfolder: 'nowhere' }) }, 'x.png', mask()), 404, 'not_found', 'missing subfolder');
    for (const bad of [ref('../../../etc/passwd'), ref('passwd', { subfolder: '../../../etc' }), ref('/etc/passwd'), ref('../output/rgba.png')]) {
      const r = await postMask({ original_ref: bad }, 'x.png', mask());
      expect(r.status, bad).toBe(403);
      expect(r.json.error.type, bad).toBe('path_outside');
    }
    expect(readdirSync(join(server.dataDir, 'input')).sort()).toEqual(before);
  });

  it('answers the upload\'s own errors as /upload/image does: no file, a non-image, a bomb, a bad name, a path outside', async () => {
    const m = multipart({ original_ref: ref('orig.png') });
    expectClientError(await req(`${server.url}/api/upload/mask`, 'POST', m.body, { 'Content-Type': m.contentType }), 400, 'no_file');
    expectClientError(await postMask({ original_ref: ref('orig.png') }, 'text.png', Buffer.from('hello')), 400, 'invalid_image');
    const bomb = mask();
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    expectClientError(await postMask({ original_ref: ref('orig.png') }, 'bomb.png', bomb), 413, 'image_too_large');
    expectClientError(await postMask({ original_ref: ref('orig.png') }, 'half.png', rgbaPng(64, 64, (x, y) => [x, y, 0, x]).subarray(0, 100)), 400, 'invalid_image');
    expectClientError(await postMask({ original_ref: ref('orig.png') }, `${'a'.repeat(300)}.png`, mask()), 400, 'invalid_filename');
    expect((await postMask({ original_ref: ref('orig.png'), subfolder: '../../escape' }, 'x.png', mask())).status).toBe(403);
    expectClientError(await postMask({ original_ref: ref('orig.png'), type: 'models' }, 'x.png', mask()), 400, 'invalid_type');
    // A corrupt original is the stored file's fault: 422, not 500.
    writeFileSync(join(server.dataDir, 'input/corrupt.png'), readFileSync(join(server.dataDir, 'output/broken.png')));
    expectClientError(await postMask({ original_ref: ref('corrupt.png') }, 'x.png', mask()), 422, 'invalid_image');
    mkdirSync(join(server.dataDir, 'input/dir.png'), { recursive: true });
    expectClientError(await postMask({ original_ref: ref('dir.png') }, 'x.png', mask()), 404, 'not_found');
    expect(existsSync(join(server.dataDir, 'input/x.png'))).toBe(false);
    expect(existsSync(join(server.dataDir, 'input/text.png'))).toBe(false);
  });
});

describe('resizePlane', () => {
  it('resizes one channel exactly as resizeImage resizes each channel', () => {
    const W = 7, H = 5;
    const plane = Float32Array.from({ length: W * H }, (_, i) => ((i * 37) % 256) / 255);
    const rgb = { width: W, height: H, data: Float32Array.from({ length: W * H * 3 }, (_, i) => plane[Math.floor(i / 3)]) };
    for (const method of ['nearest', 'bilinear', 'area'] as const) {
      for (const [w, h] of [[3, 2], [11, 9], [7, 12]]) {
        const one = resizePlane(plane, W, H, w, h, method);
        const three = resizeImage(rgb, w, h, method).data;
        for (let i = 0; i < w * h; i++) expect(one[i], `${method} ${w}×${h}`).toBe(three[i * 3]);
      }
    }
  });
});
