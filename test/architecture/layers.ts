// The layer rule as code: which folder may import which (ARCHITECTURE.md has the table and the
// why). Imports point down only; product code never imports research, scripts, benches or tests.
// Test code (`*.test.ts`, and helpers named `*.testing.ts`) may import anything, but product
// code may not import it (scripts, benches and tests may).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** A layer: a folder (trailing `/`) or one file, relative to the repository root. */
export interface Layer {
  name: string;
  paths: string[];
  /** Layers this one may import, besides itself. */
  mayImport: string[];
}

const SERVER_BASE = ['core', 'storage', 'linalg', 'onnx', 'image', 'spectral', 'adapters', 'diffusion', 'config', 'engine', 'example-inputs'];

/** Bottom to top. */
export const LAYERS: Layer[] = [
  { name: 'core', paths: ['server/core/'], mayImport: [] },
  { name: 'storage', paths: ['server/storage.ts'], mayImport: ['core'] },
  { name: 'linalg', paths: ['server/linalg/'], mayImport: ['core'] },
  { name: 'onnx', paths: ['server/onnx/'], mayImport: ['core', 'linalg'] },
  { name: 'image', paths: ['server/image/'], mayImport: ['core', 'storage'] },
  { name: 'spectral', paths: ['server/spectral/'], mayImport: ['core', 'storage', 'linalg', 'onnx', 'image'] },
  { name: 'adapters', paths: ['server/adapters/'], mayImport: ['core', 'storage', 'linalg', 'onnx', 'spectral'] },
  { name: 'diffusion', paths: ['server/diffusion/'], mayImport: ['core', 'storage', 'linalg', 'onnx', 'image', 'spectral', 'adapters'] },
  { name: 'config', paths: ['server/config.ts'], mayImport: ['core', 'onnx'] },
  { name: 'engine', paths: ['server/engine/'], mayImport: ['core', 'storage', 'config'] },
  { name: 'example-inputs', paths: ['server/example-inputs.ts'], mayImport: ['core'] },
  { name: 'http', paths: ['server/http/'], mayImport: SERVER_BASE },
  { name: 'nodes', paths: ['nodes/'], mayImport: SERVER_BASE },
  { name: 'cli', paths: ['server/cli.ts', 'server/cli-run.ts'], mayImport: [...SERVER_BASE, 'http'] },
  { name: 'client', paths: ['client/src/'], mayImport: ['core'] },
  { name: 'research', paths: ['research/'], mayImport: [...SERVER_BASE, 'nodes'] },
  { name: 'tools', paths: ['scripts/', 'bench/', 'test/'], mayImport: [...SERVER_BASE, 'http', 'cli', 'nodes', 'research', 'tools'] },
];

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

const SOURCE = /\.(ts|mts|mjs|vue)$/;
const SKIP = new Set(['node_modules', 'dist', '.git', 'data', 'tmp', 'test-results']);

function* sourceFiles(root: string, dir = root): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(root, p);
    else if (SOURCE.test(name)) yield relative(root, p).split(sep).join('/');
  }
}

/** Relative specifiers of static and dynamic imports, re-exports and module augmentations. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|declare\s+module\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (let m; (m = re.exec(text)); ) out.push(m[1]);
  return out;
}

export function isTestCode(file: string): boolean {
  return /\.test\.ts$|\.testing\.ts$/.test(file);
}

function layerOf(file: string, layers: Layer[]): Layer | undefined {
  let best: Layer | undefined;
  let bestLen = -1;
  for (const l of layers) {
    for (const p of l.paths) {
      const hit = p.endsWith('/') ? file.startsWith(p) : file === p;
      if (hit && p.length > bestLen) [best, bestLen] = [l, p.length];
    }
  }
  return best;
}

/** Every import in the tree under `root` that breaks the rule. */
export function checkLayers(root: string, layers: Layer[] = LAYERS): Violation[] {
  const violations: Violation[] = [];
  for (const file of sourceFiles(root)) {
    const from = layerOf(file, layers);
    if (!from) continue;
    const testCode = isTestCode(file);
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      const target = normalize(join(dirname(file), spec)).split(sep).join('/');
      const to = layerOf(target, layers);
      if (!to) continue;
      if (isTestCode(target) && !testCode && from.name !== 'tools') {
        violations.push({ file, imports: target, why: `product code imports test code` });
        continue;
      }
      if (testCode || to === from || from.mayImport.includes(to.name)) continue;
      violations.push({ file, imports: target, why: `${from.name} may not import ${to.name} (it may import: ${from.mayImport.join(', ') || 'nothing'})` });
    }
  }
  return violations;
}
