// The model the repository ships (models/svdiff-shapes): its diffusers ONNX layout, its size
// budget, and a 4-step sample on CPU. Everything else tests with the tiny model.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchFrames } from '../../image/index.ts';
import { decodeLatent, sampleLatents } from '../pipeline/index.ts';
import { LoadedModel } from './index.ts';
import { PARTS } from './layout.ts';

const DIR = fileURLToPath(new URL('../../../models/svdiff-shapes', import.meta.url));

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => {
    const p = join(dir, f);
    const s = statSync(p);
    return n + (s.isDirectory() ? folderBytes(p) : s.size);
  }, 0);
}

describe('the shipped embedded model', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(DIR);
  });

  it('has the diffusers ONNX layout with every part and the 32×32 geometry', () => {
    expect(model.layout.modelIndex._class_name).toBe('OnnxStableDiffusionPipeline');
    for (const part of PARTS) expect(model.io[part].inputNames.length).toBeGreaterThan(0);
    expect(model.config.vae?.sample_size).toBe(32);
    // The rare identifiers are words of their own, not the unknown token.
    const unknown = model.tokenizer.encode('qqqq')[1];
    expect(model.tokenizer.encode('a sks heart')[2]).not.toBe(unknown);
  });

  // The same 20 MB (decimal) as embedded.test.ts's parameter budget, here on the files as shipped.
  it('stays within the 20 MB budget', () => {
    expect(folderBytes(DIR)).toBeLessThanOrEqual(20e6);
  });

  it('samples a 32×32 image in 4 DDIM steps', async () => {
    const z = await sampleLatents(model, { prompt: 'a large red circle in the center on a gray background', negativePrompt: '', steps: 4, guidance: 5, eta: 0, seed: 1, width: 32, height: 32, batch: 1 });
    const [im] = batchFrames(await decodeLatent(model, z));
    expect([im.width, im.height]).toEqual([32, 32]);
    let lo = Infinity, hi = -Infinity;
    for (const v of im.data) {
      expect(Number.isFinite(v)).toBe(true);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi - lo).toBeGreaterThan(0.2); // a picture, not a flat fill
  });
});
