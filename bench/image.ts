// Image codec and resampling throughput at training/sampling sizes (512² and 1024²).
// `npx tsx bench/image.ts` or `npm run bench -- image`.
import jpeg from 'jpeg-js';
import { decodeImage, encodePng, readPngText, resizeImage, gridImage, stackImages, type RgbImage } from '../server/image/index.ts';

function photoLike(size: number): RgbImage {
  // Smooth gradients plus noise: compresses like a photo, not like a flat test card.
  const data = new Float32Array(size * size * 3);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < size * size; i++) {
    const x = i % size, y = Math.floor(i / size);
    data[i * 3] = 0.5 + 0.4 * Math.sin(x / 37) + 0.05 * rnd();
    data[i * 3 + 1] = 0.5 + 0.4 * Math.cos(y / 23) + 0.05 * rnd();
    data[i * 3 + 2] = ((x + y) / (2 * size)) * 0.9 + 0.05 * rnd();
  }
  return { width: size, height: size, data };
}

function ms(fn: () => unknown, reps = 3): number {
  fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return +((performance.now() - t0) / reps).toFixed(1);
}

export async function benchImage(): Promise<Record<string, string | number>> {
  const out: Record<string, string | number> = {};
  for (const size of [512, 1024]) {
    const img = photoLike(size);
    const meta = { prompt: JSON.stringify({ big: 'x'.repeat(20000) }) };
    const png = encodePng(img.data, size, size, meta);
    const rgba = new Uint8Array(size * size * 4);
    for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(img.data[i * 3 + c] * 255);
    const jpg = new Uint8Array(jpeg.encode({ width: size, height: size, data: rgba }, 90).data);
    out[`${size}² png size KiB`] = +(png.length / 1024).toFixed(0);
    out[`${size}² encodePng ms`] = ms(() => encodePng(img.data, size, size, meta));
    out[`${size}² decode png ms`] = ms(() => decodeImage(png));
    out[`${size}² decode jpeg ms`] = ms(() => decodeImage(jpg));
    out[`${size}² readPngText ms`] = ms(() => readPngText(png), 20);
    for (const m of ['nearest', 'bilinear', 'area'] as const) out[`${size}² → ${size / 2}² ${m} ms`] = ms(() => resizeImage(img, size / 2, size / 2, m));
  }
  const tiles = stackImages(Array.from({ length: 8 }, () => photoLike(512)));
  out['grid 8×512² ms'] = ms(() => gridImage(tiles, 4));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchImage())) console.log(`${k}: ${v}`);
}
