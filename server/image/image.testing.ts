// Helpers for tests of image code and image nodes: temp data folders, synthetic images,
// hand-built PNGs (palette, low bit depth) that pngjs cannot write, and a minimal NodeContext.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { ApiPrompt, NodeContext, Storage } from '../../nodes/define.ts';
import { createStorage } from '../storage.ts';
import { joinPngChunks, type PngChunk } from './png-chunks.ts';
import type { RgbImage } from './types.ts';

export function tempStorage(): { storage: Storage; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'svdiff-image-'));
  return { storage: createStorage({ dataDir: dir }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic RGB image whose 8-bit values are all exact (k/255). */
export function gradient(width: number, height: number, seed = 0): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = ((x * 37 + seed) % 256) / 255;
      data[i + 1] = ((y * 53 + seed * 7) % 256) / 255;
      data[i + 2] = ((x * y + seed * 13) % 256) / 255;
    }
  }
  return { width, height, data };
}

/** A PNG from raw (already bit-packed) scanlines, filter type 0 on every row. */
export function rawPng(opts: {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  rows: Uint8Array[];
  plte?: Uint8Array;
  trns?: Uint8Array;
  extra?: PngChunk[];
}): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, opts.width);
  v.setUint32(4, opts.height);
  ihdr[8] = opts.depth;
  ihdr[9] = opts.colorType;
  const rowLen = opts.rows[0].length;
  const raw = new Uint8Array(opts.rows.length * (rowLen + 1));
  opts.rows.forEach((r, i) => raw.set(r, i * (rowLen + 1) + 1));
  const chunks: PngChunk[] = [{ type: 'IHDR', data: ihdr }];
  if (opts.plte) chunks.push({ type: 'PLTE', data: opts.plte });
  if (opts.trns) chunks.push({ type: 'tRNS', data: opts.trns });
  chunks.push(...(opts.extra ?? []));
  chunks.push({ type: 'IDAT', data: deflateSync(raw) }, { type: 'IEND', data: new Uint8Array(0) });
  return joinPngChunks(chunks);
}

export function testContext(storage: Storage, opts: { prompt?: ApiPrompt; extraData?: Record<string, unknown>; signal?: AbortSignal } = {}): NodeContext & {
  progressCalls: [number, number][];
} {
  const progressCalls: [number, number][] = [];
  return {
    promptId: 'test-prompt',
    nodeId: '1',
    signal: opts.signal ?? new AbortController().signal,
    progress: (value, max) => void progressCalls.push([value, max]),
    previews: false,
    log: () => {},
    storage,
    runtime: { device: 'cpu' },
    prompt: opts.prompt ?? {},
    extraData: opts.extraData ?? {},
    progressCalls,
  };
}
