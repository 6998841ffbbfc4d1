// A cheap signature of a model folder (relative paths, sizes, mtimes): lets the engine's
// cache reload a model whose files changed without hashing their content.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function folderSignature(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = statSync(p);
        h.update(`${relative(dir, p)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return 'unreadable';
  }
  return h.digest('hex');
}
