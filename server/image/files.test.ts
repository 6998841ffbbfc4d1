import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isImageFileName, listFolderImages, listImageFiles, listImageFolders, loadImageFile, sha256Hex } from './files.ts';
import { encodePng } from './png.ts';
import { gradient, tempStorage } from './image.testing.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('image files in the data folder', () => {
  it('lists images recursively and sorted, skipping hidden and non-image files', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    const dir = t.storage.inputDir;
    mkdirSync(join(dir, 'dogs', 'more'), { recursive: true });
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, '.hidden'));
    for (const f of ['b.png', 'a.JPG', 'dogs/2.jpeg', 'dogs/1.png', 'dogs/more/x.png', '.hidden/h.png', 'notes.txt', '.c.png', 'x.png.abc123.tmp']) {
      writeFileSync(join(dir, f), 'x');
    }
    symlinkSync(join(dir, 'b.png'), join(dir, 'link.png'));
    expect(await listImageFiles(dir)).toEqual(['a.JPG', 'b.png', 'dogs/1.png', 'dogs/2.jpeg', 'dogs/more/x.png']);
    expect(await listImageFolders(dir)).toEqual(['dogs', 'dogs/more']);
    expect(await listFolderImages(join(dir, 'dogs'))).toEqual(['1.png', '2.jpeg']);
    expect(await listImageFiles(join(dir, 'nope'))).toEqual([]);
    expect(isImageFileName('x.jpeg')).toBe(true);
    expect(isImageFileName('x.gif')).toBe(false);
  });

  it('loads through resolveInside only', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    const png = encodePng(gradient(2, 2).data, 2, 2);
    writeFileSync(join(t.storage.inputDir, 'g.png'), png);
    expect((await loadImageFile(t.storage, t.storage.inputDir, 'g.png')).data).toEqual(gradient(2, 2).data);
    await expect(loadImageFile(t.storage, t.storage.inputDir, '../output/g.png')).rejects.toThrow(/outside/);
    await expect(loadImageFile(t.storage, t.storage.inputDir, '/etc/passwd')).rejects.toThrow(/outside/);
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
