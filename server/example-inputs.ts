// The example workflows (workflows/*.json) load their images by name from the data folder's
// input/ and combine-shifts loads two shift files from shifts/. ComfyUI ships its example image
// in input/ the same way: on start, copy workflows/assets/ into input/ and
// workflows/assets/shifts/ into shifts/, never overwriting a file the user has.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_ASSETS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'assets');
/** The sub-folder of the assets that holds shift files (made by scripts/make-example-shifts.ts). */
const SHIFTS_FOLDER = 'shifts';
export const EXAMPLE_SHIFTS = join(EXAMPLE_ASSETS, SHIFTS_FOLDER);

/** Copies every file of `from` (sub-folders too) missing from `to`; returns the relative paths copied. */
function copyMissing(from: string, to: string, skipTop: (name: string) => boolean = () => false): string[] {
  if (!existsSync(from)) return [];
  const copied: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(from, rel))) {
      if (!rel && skipTop(name)) continue;
      const r = rel ? `${rel}/${name}` : name;
      const src = join(from, r);
      if (statSync(src).isDirectory()) walk(r);
      else if (!existsSync(join(to, r))) {
        cpSync(src, join(to, r));
        copied.push(r);
      }
    }
  };
  walk('');
  return copied;
}

/** Copies every image asset missing from `inputDir`; returns the relative paths copied. */
export function seedExampleInputs(inputDir: string, assetsDir = EXAMPLE_ASSETS): string[] {
  return copyMissing(assetsDir, inputDir, (name) => name === SHIFTS_FOLDER);
}

/** Copies every example shift file missing from `shiftsDir`; returns the relative paths copied. */
export function seedExampleShifts(shiftsDir: string, assetsDir = EXAMPLE_ASSETS): string[] {
  return copyMissing(join(assetsDir, SHIFTS_FOLDER), shiftsDir);
}

/** Both: what a fresh data folder needs for every example workflow to run. */
export function seedExampleData(storage: { inputDir: string; shiftsDir: string }, assetsDir = EXAMPLE_ASSETS): string[] {
  return [...seedExampleInputs(storage.inputDir, assetsDir), ...seedExampleShifts(storage.shiftsDir, assetsDir).map((r) => `${SHIFTS_FOLDER}/${r}`)];
}
