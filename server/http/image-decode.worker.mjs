// Runs in a worker thread (plain JS: worker threads cannot load TypeScript through tsx):
// fully decodes one uploaded PNG or JPEG so a corrupt or fake image is refused, without
// blocking the HTTP thread. Posts {ok, format, width, height} or {ok: false, message}.
// image-check.ts has already refused headers past its decode budget; the limits here
// (maxMegapixels, maxMemoryMb) are a second line.
import { parentPort, workerData } from 'node:worker_threads';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const { bytes, maxMegapixels, maxMemoryMb } = workerData;
const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function decode() {
  if (buf.length >= 24 && PNG_MAGIC.every((b, i) => buf[i] === b)) {
    // IHDR's size comes first: refuse decompression bombs before inflating.
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    if (width * height > maxMegapixels * 1e6) throw new Error(`image is ${width}×${height}, more than ${maxMegapixels} megapixels`);
    const png = pngjs.PNG.sync.read(buf);
    return { format: 'png', width: png.width, height: png.height };
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    const img = jpeg.decode(buf, { useTArray: true, maxResolutionInMP: maxMegapixels, maxMemoryUsageInMB: maxMemoryMb });
    return { format: 'jpeg', width: img.width, height: img.height };
  }
  throw new Error('not a PNG or JPEG image');
}

try {
  parentPort.postMessage({ ok: true, ...decode() });
} catch (e) {
  parentPort.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
}
