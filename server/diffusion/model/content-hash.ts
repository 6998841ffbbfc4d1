// A model's identity for caches and shift matching: sha256 over every file of the model
// folder. Multi-GB files are hashed once; later starts reuse the digest while the file's
// size and mtime are unchanged (recorded in a small JSON index under the data folder).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface IndexEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}
type HashIndex = Record<string, IndexEntry>;

export interface HashOptions {
  /** JSON file remembering file digests by path + size + mtime; omit to always re-read. */
  indexPath?: string;
  writeFileAtomic?: (path: string, data: string) => Promise<void>;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile() && !e.name.startsWith('.')) out.push(p);
  }
  return out;
}

async function readIndex(path: string | undefined): Promise<HashIndex> {
  if (!path) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as HashIndex;
  } catch {
    return {}; // missing or unreadable index: just re-hash
  }
}

/** Hex sha256 identifying the folder's content (file names relative to the folder + digests). */
export async function modelContentHash(dir: string, opts: HashOptions = {}): Promise<string> {
  const index = await readIndex(opts.indexPath);
  let changed = false;
  const files = (await listFiles(dir)).sort();
  const top = createHash('sha256');
  for (const file of files) {
    const st = await stat(file);
    let entry = index[file];
    if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) {
      entry = { size: st.size, mtimeMs: st.mtimeMs, sha256: await hashFile(file) };
      index[file] = entry;
      changed = true;
    }
    top.update(`${relative(dir, file).split('\\').join('/')}\0${entry.sha256}\n`);
  }
  if (changed && opts.indexPath && opts.writeFileAtomic) await opts.writeFileAtomic(opts.indexPath, JSON.stringify(index));
  return top.digest('hex');
}
