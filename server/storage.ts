// The data folder (input/, output/, temp/, shifts/, workflows/, cache/) and the only way
// code reaches files in it: real paths (after symlinks) that must stay inside, atomic writes.
import { mkdirSync, realpathSync, existsSync } from 'node:fs';
import { open, rename, mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Storage } from './core/index.ts';

export class PathOutsideError extends Error {
  constructor(name: string) {
    super(`path "${name}" is outside the data folder`);
    this.name = 'PathOutsideError';
  }
}

/** Rejects names that are absolute, contain `..`, NUL or backslashes, before touching the disk. */
export function sanitizeName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255 * 4) throw new PathOutsideError(String(name));
  if (name.includes('\0') || name.includes('\\') || isAbsolute(name)) throw new PathOutsideError(name);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) throw new PathOutsideError(name);
  return parts.join('/');
}

/** Resolves `name` under `base`, following symlinks of every existing prefix; throws if it leaves `base`. */
export function resolveInside(base: string, name: string): string {
  const clean = sanitizeName(name);
  const realBase = realpathSync(base);
  let target = resolve(realBase, clean);
  // Resolve the longest existing prefix through symlinks; the rest does not exist yet.
  let existing = target;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    rest.unshift(existing.slice(dirname(existing).length + 1));
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  target = join(realpathSync(existing), ...rest);
  const rel = relative(realBase, target);
  if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) throw new PathOutsideError(name);
  return target;
}

/** Write to a temp file beside the target, fsync, rename: readers see the old or the new file, never a torn one. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // fsync the directory so the rename itself survives a crash.
  const dh = await open(dirname(path), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export interface StorageOptions {
  dataDir: string;
  /** Where models live; defaults to the repository's models/ folder. */
  modelsDir?: string;
}

const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');

export function createStorage(opts: StorageOptions): Storage {
  const dataDir = resolve(opts.dataDir);
  const dirs = {
    inputDir: join(dataDir, 'input'),
    outputDir: join(dataDir, 'output'),
    tempDir: join(dataDir, 'temp'),
    shiftsDir: join(dataDir, 'shifts'),
    adaptersDir: join(dataDir, 'adapters'),
    workflowsDir: join(dataDir, 'workflows'),
    cacheDir: join(dataDir, 'cache'),
  };
  for (const d of [dataDir, ...Object.values(dirs)]) mkdirSync(d, { recursive: true });
  const modelsDir = resolve(opts.modelsDir ?? process.env.SVDIFF_MODELS_DIR ?? join(repoRoot, 'models'));
  return { dataDir, ...dirs, modelsDir, resolveInside, writeFileAtomic };
}
