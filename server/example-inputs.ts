// The example workflows (workflows/*.json) load their images by name from the data folder's
// input/. ComfyUI ships its example image in input/ the same way: copy workflows/assets/ there
// on start, never overwriting a file the user has.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_ASSETS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'assets');

/** Copies every asset missing from `inputDir`; returns the relative paths copied. */
export function seedExampleInputs(inputDir: string, assetsDir = EXAMPLE_ASSETS): string[] {
  if (!existsSync(assetsDir)) return [];
  const copied: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(assetsDir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const src = join(assetsDir, r);
      if (statSync(src).isDirectory()) walk(r);
      else if (!existsSync(join(inputDir, r))) {
        cpSync(src, join(inputDir, r));
        copied.push(r);
      }
    }
  };
  walk('');
  return copied;
}
