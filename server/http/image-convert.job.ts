// One image conversion, run in a worker thread (image-convert.worker.mjs starts it; see
// image-convert.ts): decode → pixels → encode, the result posted back as bytes, or the
// failure with the input it is about. Imports the server/image files it needs directly, not
// the index, so the thread starts faster.
import { parentPort, workerData } from 'node:worker_threads';
import { readPngText } from '../image/png.ts';
import { alphaImage, decodeRgba, encodeRgbaJpeg, encodeRgbaPng, putAlpha, type RgbaDecodeLimits, type RgbaImage } from '../image/rgba.ts';
import type { ConvertInput, ConvertJob, ConvertReply } from './image-convert.ts';

const { job, limits } = workerData as { job: ConvertJob; limits: RgbaDecodeLimits };

class Failure extends Error {
  constructor(readonly input: ConvertInput, message: string) {
    super(message);
  }
}

function decode(bytes: Uint8Array, input: ConvertInput): RgbaImage {
  try {
    return decodeRgba(bytes, limits);
  } catch (e) {
    throw new Failure(input, e instanceof Error ? e.message : String(e));
  }
}

function run(): Uint8Array {
  if (job.op === 'mask') {
    // The client's upload first: its errors are the likelier ones.
    const mask = decode(job.mask, 'mask');
    const image = decode(job.image, 'image');
    // The original's text chunks (a generated PNG's prompt and workflow) stay with it, as in ComfyUI.
    let text: Record<string, string> = {};
    try {
      text = readPngText(job.image);
    } catch {
      // a JPEG, or chunks past IEND we cannot walk: no text to keep
    }
    return encodeRgbaPng(putAlpha(image, mask), { alpha: true, text });
  }
  const image = decode(job.image, 'image');
  if (job.op === 'rgb') return encodeRgbaPng(image, { alpha: false });
  if (job.op === 'alpha') return encodeRgbaPng(alphaImage(image), { alpha: true });
  return encodeRgbaJpeg(image, job.quality);
}

let reply: ConvertReply;
let transfer: ArrayBuffer[] = [];
try {
  let bytes = run();
  // Hand over the result's memory; a view into a larger (or pooled) buffer is copied first.
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
  reply = { ok: true, bytes };
  transfer = [bytes.buffer as ArrayBuffer];
} catch (e) {
  reply = { ok: false, input: e instanceof Failure ? e.input : 'image', message: e instanceof Error ? e.message : String(e) };
}
parentPort!.postMessage(reply, transfer);
