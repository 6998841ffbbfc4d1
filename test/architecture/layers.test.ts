// The layer rule holds for the repository, and the check does catch an upward import.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayers, importsOf } from './layers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('layers', () => {
  it('no import in the repository runs up a layer', () => {
    expect(checkLayers(root)).toEqual([]);
  });

  it('reports an upward import planted in a fixture tree', () => {
    const v = checkLayers(join(root, 'test/fixtures/layers'));
    expect(v).toEqual([{ file: 'server/core/bad.ts', imports: 'server/http/app.ts', why: expect.stringMatching(/^core may not import http/) }]);
  });

  it('reads static, dynamic and type imports, re-exports and module augmentations', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export * from './c.ts';",
      "const d = await import('./d.ts');",
      "import './e.ts';",
      "declare module '../f.ts' {}",
      "import x from 'express';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', '../f.ts']);
  });
});
