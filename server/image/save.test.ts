import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asciiJson, nextCounter, parseFilenamePrefix, pngMetadata, saveImages } from './save.ts';
import { stackImages } from './batch.ts';
import { decodePng, readPngText } from './png.ts';
import { gradient, tempStorage } from './image.testing.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('parseFilenamePrefix', () => {
  it('splits sub-folders and sanitises characters', () => {
    expect(parseFilenamePrefix('svdiff')).toEqual({ subfolder: '', filename: 'svdiff' });
    expect(parseFilenamePrefix('a/b/dog')).toEqual({ subfolder: 'a/b', filename: 'dog' });
    expect(parseFilenamePrefix('./a//b/')).toEqual({ subfolder: 'a/b', filename: 'svdiff' });
    expect(parseFilenamePrefix('we?ird:na*me\\x')).toEqual({ subfolder: '', filename: 'we_ird_na_me_x' });
    expect(parseFilenamePrefix('')).toEqual({ subfolder: '', filename: 'svdiff' });
  });

  it('refuses .. and absolute paths', () => {
    expect(() => parseFilenamePrefix('../x')).toThrow(/leave the output folder/);
    expect(() => parseFilenamePrefix('a/../../x')).toThrow(/leave the output folder/);
    expect(() => parseFilenamePrefix('/etc/x')).toThrow(/absolute/);
  });
});

describe('asciiJson / pngMetadata', () => {
  it('escapes non-ASCII yet parses back to the same value', () => {
    const v = { text: 'a café 🐕 "q"', n: [1, 2] };
    const s = asciiJson(v);
    expect(/^[\x20-\x7e]*$/.test(s)).toBe(true);
    expect(JSON.parse(s)).toEqual(v);
  });

  it('writes prompt and every extra_pnginfo key', () => {
    const text = pngMetadata({ '1': { class_type: 'A', inputs: {} } }, { extra_pnginfo: { workflow: { nodes: [] }, other: 3, 'bad\nkey': 1 } });
    expect(Object.keys(text)).toEqual(['prompt', 'workflow', 'other']);
    expect(JSON.parse(text.workflow)).toEqual({ nodes: [] });
    expect(pngMetadata(undefined, {})).toEqual({});
  });
});

describe('saveImages', () => {
  it('numbers files after the existing ones, in sub-folders, atomically', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    const { storage } = t;
    mkdirSync(join(storage.outputDir, 'runs'));
    writeFileSync(join(storage.outputDir, 'runs', 'dog_00007_.png'), 'x');
    writeFileSync(join(storage.outputDir, 'runs', 'dogs_00099_.png'), 'x'); // another prefix
    writeFileSync(join(storage.outputDir, 'runs', 'dog_notes.txt'), 'x');
    expect(await nextCounter(join(storage.outputDir, 'runs'), 'dog')).toBe(8);
    const batch = stackImages([gradient(3, 2, 1), gradient(3, 2, 2)]);
    const refs = await saveImages({ storage, kind: 'output', prefix: 'runs/dog', batch, text: { a: 'b' } });
    expect(refs).toEqual([
      { filename: 'dog_00008_.png', subfolder: 'runs', type: 'output' },
      { filename: 'dog_00009_.png', subfolder: 'runs', type: 'output' },
    ]);
    const file = readFileSync(join(storage.outputDir, 'runs', 'dog_00009_.png'));
    expect(decodePng(file).data).toEqual(gradient(3, 2, 2).data);
    expect(readPngText(file)).toEqual({ a: 'b' });
    expect(readdirSync(join(storage.outputDir, 'runs')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // New sub-folders are created; concurrent saves never share a number.
    const [r1, r2] = await Promise.all([
      saveImages({ storage, kind: 'temp', prefix: 'p/q', batch }),
      saveImages({ storage, kind: 'temp', prefix: 'p/q', batch }),
    ]);
    expect([...r1, ...r2].map((r) => r.filename).sort()).toEqual(['q_00001_.png', 'q_00002_.png', 'q_00003_.png', 'q_00004_.png']);
    expect(existsSync(join(storage.tempDir, 'p', 'q_00004_.png'))).toBe(true);
  });

  it('will not follow a symlinked sub-folder out of output/', async () => {
    const t = tempStorage();
    cleanup = t.cleanup;
    symlinkSync(t.storage.inputDir, join(t.storage.outputDir, 'escape'));
    await expect(saveImages({ storage: t.storage, kind: 'output', prefix: 'escape/x', batch: stackImages([gradient(1, 1)]) })).rejects.toThrow(/outside/);
    expect(readdirSync(t.storage.inputDir)).toEqual([]);
  });
});
