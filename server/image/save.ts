// Writing images to output/ or temp/ with ComfyUI's naming: `<prefix>_00001_.png`, counting
// up past the files already there, each file written atomically.
import { readdir } from 'node:fs/promises';
import { imageTypeDir, type ApiPrompt, type ImageBatch, type ImageRef, type Storage } from '../core/index.ts';
import { batchToPngs } from './batch.ts';

export interface SavedPrefix {
  /** `/`-separated folder under the base ('' for none). */
  subfolder: string;
  filename: string;
}

/**
 * Splits a user prefix like `portraits/dog` into a sub-folder and a file stem. Characters that
 * are unsafe in file names become `_`; `..` and absolute paths are refused (throws).
 */
export function parseFilenamePrefix(prefix: string, fallback = 'svdiff'): SavedPrefix {
  const clean = prefix.replace(/[\x00-\x1f\x7f\\:*?"<>|]/g, '_').trim();
  if (clean.startsWith('/')) throw new Error(`"${prefix}" is an absolute path; use a name relative to the output folder`);
  const parts = clean.split('/').map((p) => p.trim()).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`"${prefix}" would leave the output folder ("..")`);
  if (parts.some((p) => p.length > 200)) throw new Error(`"${prefix}" has a path part longer than 200 characters`);
  const endsWithSlash = clean.endsWith('/');
  const filename = (endsWithSlash ? undefined : parts.pop()) ?? fallback;
  return { subfolder: parts.join('/'), filename };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The next free counter for `<filename>_NNNNN_*` in `dir` (1 when none). */
export async function nextCounter(dir: string, filename: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 1;
  }
  const re = new RegExp(`^${escapeRegExp(filename)}_(\\d+)_`);
  let max = 0;
  for (const n of names) {
    const m = re.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** JSON with every non-ASCII character escaped: still the same JSON, and fits a tEXt chunk. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * ComfyUI's PNG metadata: `prompt` (the API prompt) and one chunk per key of
 * `extra_pnginfo` (the client puts the UI graph under `workflow`).
 */
export function pngMetadata(prompt: ApiPrompt | undefined, extraData: Record<string, unknown> | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  if (prompt) text.prompt = asciiJson(prompt);
  const info = extraData?.extra_pnginfo;
  if (info && typeof info === 'object' && !Array.isArray(info)) {
    for (const [k, v] of Object.entries(info)) {
      // Keys must be valid PNG keywords; `prompt` is ours.
      if (k === 'prompt' || !/^[\x21-\x7e][\x20-\x7e]{0,77}[\x21-\x7e]$|^[\x21-\x7e]$/.test(k) || v === undefined) continue;
      text[k] = asciiJson(v);
    }
  }
  return text;
}

/** Per-folder chain so two saves in this process never pick the same counter. */
const folderLocks = new Map<string, Promise<unknown>>();

async function withFolderLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const prev = folderLocks.get(dir) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  folderLocks.set(dir, next);
  try {
    return await next;
  } finally {
    if (folderLocks.get(dir) === next) folderLocks.delete(dir);
  }
}

export interface SaveImagesOptions {
  storage: Storage;
  kind: 'output' | 'temp';
  /** `a/b/name`: see parseFilenamePrefix. */
  prefix: string;
  batch: ImageBatch;
  text?: Record<string, string>;
  signal?: AbortSignal;
}

/** Encodes every frame and writes `<prefix>_NNNNN_.png` files; returns refs for the UI. */
export async function saveImages(opts: SaveImagesOptions): Promise<ImageRef[]> {
  const { storage, kind } = opts;
  const base = imageTypeDir(storage, kind);
  const { subfolder, filename } = parseFilenamePrefix(opts.prefix);
  // resolveInside follows symlinks of existing parts: the target folder cannot escape `base`.
  const dir = subfolder ? storage.resolveInside(base, subfolder) : base;
  const pngs = batchToPngs(opts.batch, opts.text);
  return withFolderLock(dir, async () => {
    let counter = await nextCounter(dir, filename);
    const refs: ImageRef[] = [];
    for (const png of pngs) {
      opts.signal?.throwIfAborted();
      const name = `${filename}_${String(counter).padStart(5, '0')}_.png`;
      await storage.writeFileAtomic(storage.resolveInside(base, subfolder ? `${subfolder}/${name}` : name), png);
      refs.push({ filename: name, subfolder, type: kind });
      counter++;
    }
    return refs;
  });
}
