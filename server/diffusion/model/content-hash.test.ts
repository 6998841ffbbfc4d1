import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelContentHash } from './content-hash.ts';
import { writeFileAtomic } from '../../storage.ts';

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'hash-'));
  mkdirSync(join(d, 'unet'));
  writeFileSync(join(d, 'model_index.json'), '{}');
  writeFileSync(join(d, 'unet', 'model.onnx'), 'weights-v1');
  return d;
}

describe('modelContentHash', () => {
  it('is stable for the same content and changes with any byte', async () => {
    const a = folder();
    const b = folder();
    expect(await modelContentHash(a)).toBe(await modelContentHash(b));
    writeFileSync(join(b, 'unet', 'model.onnx'), 'weights-v2');
    expect(await modelContentHash(b)).not.toBe(await modelContentHash(a));
  });

  it('reuses digests from the index while size and mtime are unchanged', async () => {
    const d = folder();
    const indexPath = join(d, '..', `${d.split('/').pop()}-index.json`);
    const first = await modelContentHash(d, { indexPath, writeFileAtomic });
    // Same size, same mtime, different bytes: the index is trusted (no re-read).
    const file = join(d, 'unet', 'model.onnx');
    writeFileSync(file, 'weights-v9');
    utimesSync(file, new Date(0), new Date(0));
    const afterTouch = await modelContentHash(d, { indexPath, writeFileAtomic });
    expect(afterTouch).not.toBe(first); // mtime changed → re-hashed
    writeFileSync(file, 'weights-v8');
    utimesSync(file, new Date(0), new Date(0));
    expect(await modelContentHash(d, { indexPath, writeFileAtomic })).toBe(afterTouch);
  });
});
