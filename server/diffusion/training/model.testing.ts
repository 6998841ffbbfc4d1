// Test fixture: the embedded architecture at TINY_TEST_CONFIG, written to a temp folder and
// loaded like any model, with its SVD (written once per test process).
import { LoadedModel } from '../model/index.ts';
import { tinyModelDir } from '../pipeline/model.testing.ts';
import { decomposeModel, type SvdValue } from '../../spectral/index.ts';
import type { TrainSettings } from './types.ts';

let cached: Promise<{ model: LoadedModel; svd: SvdValue; svdTe: SvdValue; dir: string }> | undefined;

export function tinyModel(): Promise<{ model: LoadedModel; svd: SvdValue; svdTe: SvdValue; dir: string }> {
  cached ??= (async () => {
    const dir = await tinyModelDir(3);
    const model = await LoadedModel.load(dir);
    const { svd } = await decomposeModel(model, { parts: ['unet'], layers: 'all', nameFilter: '' });
    const { svd: svdTe } = await decomposeModel(model, { parts: ['unet', 'text_encoder'], layers: 'all', nameFilter: '' });
    return { model, svd, svdTe, dir };
  })();
  return cached;
}

/** A square test picture: a bright disc of colour `rgb` on gray, shifted by `dx` pixels. */
export function disc(size: number, rgb: [number, number, number], dx = 0): { width: number; height: number; data: Float32Array } {
  const data = new Float32Array(size * size * 3).fill(0.5);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((x - c - dx) ** 2 + (y - c) ** 2 <= (size * 0.3) ** 2) data.set(rgb, (y * size + x) * 3);
    }
  }
  return { width: size, height: size, data };
}

export function tinySettings(over: Partial<TrainSettings> = {}): TrainSettings {
  return {
    subjects: [{ images: [disc(16, [1, 0, 0]), disc(16, [1, 0.2, 0], 1)], prompt: 'a sks heart', classPrompt: 'a heart', identifier: 'sks' }],
    priorWeight: 0,
    numClassImages: 2,
    preservePrompts: [],
    priorTarget: 'noise',
    steps: 10,
    batchSize: 1,
    lr: 1e-2,
    lr1d: 1e-6,
    lrTextEncoder: 1e-2,
    weightDecay: 0.01,
    maxGradNorm: 1,
    seed: 5,
    resolution: 16,
    randomCrop: false,
    randomFlip: false,
    parts: 'unet',
    mixProbability: 0.6,
    unmixWeight: 0,
    checkpointEvery: 0,
    ...over,
  };
}
