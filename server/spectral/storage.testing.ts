// A temp data folder whose models/ lies inside it too (the default models folder is the
// repository's, which tests must not write to).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '../../nodes/define.ts';
import { createStorage } from '../storage.ts';

export function tempModelStorage(): { storage: Storage; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'svdiff-spectral-'));
  return { storage: createStorage({ dataDir: dir, modelsDir: join(dir, 'models') }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
