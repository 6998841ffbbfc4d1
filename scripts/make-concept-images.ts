// Writes PNGs of a held-out concept (e.g. 4 red hearts) for example workflows and tests.
// Usage: npx tsx scripts/make-concept-images.ts <shape> <count> <outDir> [seed]
//          [--resolution 64] [--color red] [--background gray] [--identifier sks]
// Also writes captions.json: [{file, caption, classCaption, attrs}].

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { PNG } from 'pngjs';
import { BACKGROUNDS, COLORS, conceptImages, IDENTIFIER_TOKENS, SHAPES, type BackgroundName, type ColorName, type ConceptOptions, type IdentifierToken, type ShapeName } from '../research/datasets/index.ts';

/** HWC RGB float32 in [0,1] → PNG bytes. */
export function encodePng(image: Float32Array, width: number, height = width): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = Math.round(Math.min(1, Math.max(0, image[i * 3 + c])) * 255);
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function writeConceptImages(shape: ShapeName, count: number, outDir: string, seed: number, opts: ConceptOptions = {}): string[] {
  const samples = conceptImages(shape, count, seed, opts);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const index = samples.map((s, i) => {
    const file = `${shape}_${String(i).padStart(2, '0')}.png`;
    writeFileSync(join(outDir, file), encodePng(s.image, s.resolution));
    files.push(join(outDir, file));
    return { file, caption: s.caption, classCaption: s.classCaption, attrs: s.attrs };
  });
  writeFileSync(join(outDir, 'captions.json'), JSON.stringify(index, null, 2) + '\n');
  return files;
}

function oneOf<T extends string>(what: string, list: readonly T[], v: string): T {
  if (!(list as readonly string[]).includes(v)) throw new Error(`make-concept-images: ${what} must be one of ${list.join(', ')}; got "${v}"`);
  return v as T;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const program = new Command()
    .name('make-concept-images')
    .argument('<shape>', `one of ${SHAPES.join(', ')}`)
    .argument('<count>', 'number of images')
    .argument('<outDir>', 'folder to write PNGs into')
    .argument('[seed]', 'seed', '0')
    .option('--resolution <n>', 'image side in pixels', '64')
    .option('--color <name>', `shape colour (${COLORS.join(', ')})`)
    .option('--background <name>', `background (${BACKGROUNDS.join(', ')})`)
    .option('--identifier <token>', `rare token in captions (${IDENTIFIER_TOKENS.join(', ')})`)
    .action((shape: string, count: string, outDir: string, seed: string, o: Record<string, string | undefined>) => {
      const n = Number(count);
      const res = Number(o.resolution);
      if (!Number.isInteger(n) || n < 1) throw new Error(`make-concept-images: count must be a positive integer; got "${count}"`);
      if (!Number.isInteger(res) || res < 8) throw new Error(`make-concept-images: --resolution must be an integer ≥ 8; got "${o.resolution}"`);
      const files = writeConceptImages(oneOf('shape', SHAPES, shape), n, outDir, Number(seed) || 0, {
        resolution: res,
        color: o.color ? oneOf<ColorName>('--color', COLORS, o.color) : undefined,
        background: o.background ? oneOf<BackgroundName>('--background', BACKGROUNDS, o.background) : undefined,
        identifier: o.identifier ? oneOf<IdentifierToken>('--identifier', IDENTIFIER_TOKENS, o.identifier) : undefined,
      });
      console.log(`wrote ${files.length} images to ${outDir}`);
    });
  try {
    program.parse();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
