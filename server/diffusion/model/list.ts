// Model folders the Load Model combo offers: sub-folders of the models folder holding a
// model_index.json, the embedded default first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_MODEL = 'svdiff-shapes';

export function listModels(modelsDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(modelsDir, { withFileTypes: true })
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .filter((n) => existsSync(join(modelsDir, n, 'model_index.json')));
  } catch {
    return [];
  }
  names.sort((a, b) => (a === DEFAULT_MODEL ? -1 : b === DEFAULT_MODEL ? 1 : a.localeCompare(b)));
  return names;
}
