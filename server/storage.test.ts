// resolveInside keeps every name inside its base (symlinks followed); writeFileAtomic never
// leaves a torn file and cleans up after itself.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage, PathOutsideError, resolveInside, sanitizeName, writeFileAtomic } from './storage.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function dirs() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'svdiff-storage-')));
  roots.push(root);
  const base = join(root, 'base');
  const outside = join(root, 'outside');
  mkdirSync(base);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  return { root, base, outside };
}

describe('sanitizeName', () => {
  it('normalises harmless names and refuses climbing, absolute, NUL and backslash names', () => {
    expect(sanitizeName('a//b/./c.png')).toBe('a/b/c.png');
    for (const bad of ['', '..', '../x', 'a/../../x', '/etc/passwd', 'a\0b', 'a\\..\\b', '.', './']) {
      expect(() => sanitizeName(bad), JSON.stringify(bad)).toThrow(PathOutsideError);
    }
  });
});

describe('resolveInside', () => {
  it('resolves names inside the base, existing or not', () => {
    const { base } = dirs();
    expect(resolveInside(base, 'new/dir/file.png')).toBe(join(base, 'new/dir/file.png'));
    writeFileSync(join(base, 'x.png'), '');
    expect(resolveInside(base, 'x.png')).toBe(join(base, 'x.png'));
  });

  it('refuses a symlinked file or folder that points outside, also under a name that does not exist yet', () => {
    const { base, outside } = dirs();
    symlinkSync(join(outside, 'secret.txt'), join(base, 'link.txt'));
    symlinkSync(outside, join(base, 'linkdir'));
    expect(() => resolveInside(base, 'link.txt')).toThrow(PathOutsideError);
    expect(() => resolveInside(base, 'linkdir/secret.txt')).toThrow(PathOutsideError);
    expect(() => resolveInside(base, 'linkdir/not-yet/new.png')).toThrow(PathOutsideError);
  });

  it('follows symlinks that stay inside, and refuses the base itself', () => {
    const { base } = dirs();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'alias'));
    expect(resolveInside(base, 'alias/f.png')).toBe(join(base, 'real/f.png'));
    expect(() => resolveInside(base, './')).toThrow(PathOutsideError);
  });

  it('works when the base itself is reached through a symlink', () => {
    const { root, base } = dirs();
    symlinkSync(base, join(root, 'base-link'));
    expect(resolveInside(join(root, 'base-link'), 'a.png')).toBe(join(base, 'a.png'));
  });
});

describe('writeFileAtomic', () => {
  it('writes the whole file, replaces an existing one and leaves no temp files', async () => {
    const { base } = dirs();
    const p = join(base, 'sub/f.json');
    await writeFileAtomic(p, '{"a":1}');
    await writeFileAtomic(p, new Uint8Array([123, 125]));
    expect(readFileSync(p, 'utf8')).toBe('{}');
    expect(readdirSync(join(base, 'sub'))).toEqual(['f.json']);
  });

  it('concurrent writers each leave a complete file (one of them)', async () => {
    const { base } = dirs();
    const p = join(base, 'race.txt');
    const bodies = Array.from({ length: 8 }, (_, i) => String(i).repeat(100_000));
    await Promise.all(bodies.map((b) => writeFileAtomic(p, b)));
    expect(bodies).toContain(readFileSync(p, 'utf8'));
    expect(readdirSync(base)).toEqual(['race.txt']);
  });

  it('removes its temp file when the write fails', async () => {
    const { base } = dirs();
    mkdirSync(join(base, 'taken.json'));
    await expect(writeFileAtomic(join(base, 'taken.json'), 'x')).rejects.toThrow();
    expect(readdirSync(base).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('createStorage', () => {
  it('creates the data folders', () => {
    const { base } = dirs();
    const s = createStorage({ dataDir: join(base, 'data'), modelsDir: join(base, 'models') });
    expect(readdirSync(s.dataDir).sort()).toEqual(['adapters', 'cache', 'input', 'output', 'shifts', 'temp', 'workflows']);
    expect(s.modelsDir).toBe(join(base, 'models'));
  });
});
