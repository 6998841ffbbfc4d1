// Image files in the data folder: listing for COMBO options, content hashes for caching,
// and reading through Storage.resolveInside so a name can never leave its folder.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage } from '../core/index.ts';
import { decodeImage } from './decode.ts';
import type { RgbImage } from './types.ts';

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** By name only (for listings); decoding goes by content. */
export function isImageFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Deep enough for any sane input/ layout; stops runaway walks. */
const MAX_DEPTH = 8;

async function walk(dir: string, rel: string, depth: number, files: string[], dirs: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // vanished or unreadable: list what we can
  }
  for (const e of entries) {
    // Hidden entries (and atomic-write temp files) are skipped; symlinks are not followed.
    if (e.name.startsWith('.')) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && depth < MAX_DEPTH) {
      dirs.push(path);
      await walk(join(dir, e.name), path, depth + 1, files, dirs);
    } else if (e.isFile() && isImageFileName(e.name)) {
      files.push(path);
    }
  }
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Image files under `dir`, as sorted `/`-separated relative paths (`sub/x.png`). */
export async function listImageFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  await walk(dir, '', 0, files, []);
  return files.sort(byName);
}

/** Sub-folders of `dir` (recursive, sorted) that directly hold at least one image file. */
export async function listImageFolders(dir: string): Promise<string[]> {
  const files = await listImageFiles(dir);
  const folders = new Set<string>();
  for (const f of files) {
    const slash = f.lastIndexOf('/');
    if (slash > 0) folders.add(f.slice(0, slash));
  }
  return [...folders].sort(byName);
}

/** Image files directly inside `dir` (not its sub-folders), sorted by name. */
export async function listFolderImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isImageFileName(e.name)).map((e) => e.name).sort(byName);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves `name` inside `base` (throws PathOutsideError otherwise) and reads it. */
export async function readInside(storage: Storage, base: string, name: string): Promise<{ path: string; bytes: Uint8Array }> {
  const path = storage.resolveInside(base, name);
  const buf = await readFile(path);
  return { path, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

export async function loadImageFile(storage: Storage, base: string, name: string): Promise<RgbImage> {
  return decodeImage((await readInside(storage, base, name)).bytes);
}
