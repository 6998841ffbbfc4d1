// Spectral layers of the embedded model: layer and shift-parameter counts, shift file size,
// SVD Decompose cold (computing) vs warm (cache) time, baking random shifts into overrides,
// and the UNet step time with baked shifts vs without.
// `npx tsx bench/spectral.ts` or `npm run bench -- spectral`.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EMBEDDED_CONFIG, latentShape, writeEmbeddedModel } from '../research/embedded-model/index.ts';
import { LoadedModel } from '../server/diffusion/model/index.ts';
import { ort } from '../server/onnx/index.ts';
import { decomposeModel, encodeShiftFile, makeShifts, modelLayers, shiftOverrides, zeroShifts, layerLengths, type SpectralLayer } from '../server/spectral/index.ts';
import { randomValues } from '../server/spectral/graphs.testing.ts';

function counts(layers: SpectralLayer[]): string {
  const by = (k: string) => layers.filter((l) => l.kind === k).length;
  return `${layers.length} (matrix ${by('matrix')}, conv ${by('conv')}, norm ${by('norm')}), ${layers.reduce((n, l) => n + l.k, 0)} shift params`;
}

export async function benchSpectral(): Promise<Record<string, string | number>> {
  const root = mkdtempSync(join(tmpdir(), 'bench-spectral-'));
  try {
    await writeEmbeddedModel(join(root, 'embedded'), EMBEDDED_CONFIG, { seed: 0 });
    const model = await LoadedModel.load(join(root, 'embedded'));
    const unet = modelLayers(model, ['unet']);
    const te = modelLayers(model, ['text_encoder']);
    const fileBytes = (ls: SpectralLayer[]) => encodeShiftFile(zeroShifts(model.contentHash, layerLengths(ls), { svdiff_training: JSON.stringify({ steps: 500, lr: 1e-3, lr_1d: 1e-6, prior_weight: 1 }) })).byteLength;
    const figures: Record<string, string | number> = {
      'unet layers': counts(unet),
      'text encoder layers': counts(te),
      'shift file, unet (bytes)': fileBytes(unet),
      'shift file, unet + text encoder (bytes)': fileBytes([...unet, ...te]),
    };
    const cacheDir = join(root, 'cache');
    const sel = { parts: ['unet', 'text_encoder'] as ('unet' | 'text_encoder')[], layers: 'all' as const, nameFilter: '' };
    const workers = Math.min(availableParallelism(), 8);
    let t = performance.now();
    const cold = await decomposeModel(model, sel, { cacheDir, workers });
    const coldMs = performance.now() - t;
    t = performance.now();
    const warm = await decomposeModel(model, sel, { cacheDir, workers });
    const warmMs = performance.now() - t;
    figures['decompose cold (ms)'] = `${coldMs.toFixed(0)} (${cold.stats.computed} layers computed, ${workers} workers)`;
    figures['decompose warm (ms)'] = `${warmMs.toFixed(0)} (${warm.stats.fromCache} from cache)`;
    figures['cold / warm'] = (coldMs / warmMs).toFixed(1);
    figures['SVD value (bytes)'] = cold.svd.byteSize;

    const shifts = makeShifts(model.contentHash, new Map([...cold.svd.layers.values()].map((l, i) => [l.name, randomValues(l.k, i, 0.2)])));
    t = performance.now();
    const parts = await shiftOverrides(model, cold.svd, shifts, 1);
    figures['bake all layers (ms)'] = (performance.now() - t).toFixed(0);
    const [c, h, w] = latentShape(EMBEDDED_CONFIG);
    const feeds = {
      sample: new ort.Tensor('float32', randomValues(2 * c * h * w, 1), [2, c, h, w]),
      timestep: new ort.Tensor('float32', Float32Array.of(500, 500), [2]),
      encoder_hidden_states: new ort.Tensor('float32', randomValues(2 * 16 * EMBEDDED_CONFIG.text.width, 2), [2, 16, EMBEDDED_CONFIG.text.width]),
    };
    const step = async (s: Awaited<ReturnType<typeof model.session>>) => {
      for (let i = 0; i < 3; i++) await s.run(feeds);
      const t0 = performance.now();
      const n = 20;
      for (let i = 0; i < n; i++) await s.run(feeds);
      return (performance.now() - t0) / n;
    };
    const plain = await step(await model.session('unet'));
    const shifted = await step(await model.session('unet', { overrides: parts[0].overrides, overridesKey: parts[0].key }));
    figures['unet step, batch 2 (ms): plain / baked shifts'] = `${plain.toFixed(2)} / ${shifted.toFixed(2)}`;
    await model.release();
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchSpectral())) console.log(`${k}: ${v}`);
}
