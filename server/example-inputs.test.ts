import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedExampleInputs } from './example-inputs.ts';

describe('seedExampleInputs', () => {
  it('copies missing assets (sub-folders too) and never overwrites the user\'s files', () => {
    const root = mkdtempSync(join(tmpdir(), 'seed-'));
    const assets = join(root, 'assets');
    mkdirSync(join(assets, 'heart'), { recursive: true });
    writeFileSync(join(assets, 'heart', 'a.png'), 'asset-a');
    writeFileSync(join(assets, 'b.png'), 'asset-b');
    const input = join(root, 'input');
    mkdirSync(input);
    writeFileSync(join(input, 'b.png'), 'mine');
    expect(seedExampleInputs(input, assets)).toEqual(['heart/a.png']);
    expect(readFileSync(join(input, 'heart', 'a.png'), 'utf8')).toBe('asset-a');
    expect(readFileSync(join(input, 'b.png'), 'utf8')).toBe('mine');
    expect(seedExampleInputs(input, assets)).toEqual([]);
  });

  it('ships the example workflows\' assets', () => {
    const input = mkdtempSync(join(tmpdir(), 'seed-real-'));
    expect(seedExampleInputs(input)).toEqual(expect.arrayContaining(['heart/heart-0.png', 'red-circle-blue.png']));
  });
});
