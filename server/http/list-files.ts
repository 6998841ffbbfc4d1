// Listing the files of a folder tree for the routes that name files (model folders, the
// client's extension scripts).
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** How deep listings go: enough for any sensible layout, bounded against link loops and abuse. */
const MAX_DEPTH = 8;

/**
 * Regular files under `dir` whose name passes `keep` (sub-folders too, dot-names skipped), as
 * sorted '/'-separated paths relative to `dir`; [] when `dir` does not exist.
 */
export async function listFiles(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) await walk(p, depth + 1);
      else if (e.isFile() && keep(e.name)) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir, 0);
  return out.sort();
}
