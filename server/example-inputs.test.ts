import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedExampleData, seedExampleInputs, seedExampleShifts } from './example-inputs.ts';

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

describe('seedExampleShifts / seedExampleData', () => {
  it('copies the example shift files into shifts/ (not input/), never overwriting the user\'s', () => {
    const root = mkdtempSync(join(tmpdir(), 'seed-shifts-'));
    const assets = join(root, 'assets');
    mkdirSync(join(assets, 'shifts'), { recursive: true });
    writeFileSync(join(assets, 'a.png'), 'image');
    writeFileSync(join(assets, 'shifts', 'sks-a.safetensors'), 'shift-a');
    writeFileSync(join(assets, 'shifts', 'sks-b.safetensors'), 'shift-b');
    const storage = { inputDir: join(root, 'input'), shiftsDir: join(root, 'shifts') };
    mkdirSync(storage.shiftsDir, { recursive: true });
    writeFileSync(join(storage.shiftsDir, 'sks-b.safetensors'), 'trained by the user');
    expect(seedExampleData(storage, assets)).toEqual(['a.png', 'shifts/sks-a.safetensors']);
    expect(readFileSync(join(storage.shiftsDir, 'sks-a.safetensors'), 'utf8')).toBe('shift-a');
    expect(readFileSync(join(storage.shiftsDir, 'sks-b.safetensors'), 'utf8')).toBe('trained by the user');
    expect(existsSync(join(storage.inputDir, 'shifts'))).toBe(false);
    expect(seedExampleShifts(storage.shiftsDir, assets)).toEqual([]);
  });

  it('ships the shift files combine-shifts loads', () => {
    const shifts = mkdtempSync(join(tmpdir(), 'seed-real-shifts-'));
    expect(seedExampleShifts(shifts).sort()).toEqual(['sks-heart.safetensors', 'sks-moon.safetensors']);
  });
});
