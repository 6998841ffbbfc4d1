// AdamW of a training run: the run's learning rate and weight decay, its global gradient-norm
// clip, and parameter groups at their own rates. Spectral shifts have three rates: UNet
// matrix shifts at lr, the text encoder's at lrTextEncoder, 1-D norm-scale shifts at lr1d.
import { AdamW, type ParamGroup, type Parameter } from '../../onnx/index.ts';
import type { SvdLayer, SvdValue } from '../../spectral/index.ts';
import type { TrainSettings } from './types.ts';

/** AdamW over `params` at the settings' lr, weight decay and clip; `groups` take precedence (first match wins). */
export function runOptimizer(params: Parameter[], s: TrainSettings, groups: ParamGroup[] = []): AdamW {
  return new AdamW(params, {
    lr: s.lr,
    weightDecay: s.weightDecay,
    maxGradNorm: s.maxGradNorm > 0 ? s.maxGradNorm : undefined,
    groups,
  });
}

/** The groups of the δ inputs of `trainLayers`: 1-D shifts first, so a text-encoder norm scale is 1-D. */
export function shiftGroups(svd: SvdValue, trainLayers: readonly string[], deltaInputs: ReadonlyMap<string, string>, s: TrainSettings): ParamGroup[] {
  const inputsWhere = (keep: (l: SvdLayer) => boolean) => new Set(trainLayers.filter((l) => keep(svd.layers.get(l)!)).map((l) => deltaInputs.get(l)!));
  const oneD = inputsWhere((l) => l.kind === 'norm');
  const textEncoder = inputsWhere((l) => l.part === 'text_encoder');
  return [
    { match: (n) => oneD.has(n), lr: s.lr1d, weightDecay: s.weightDecay },
    { match: (n) => textEncoder.has(n), lr: s.lrTextEncoder, weightDecay: s.weightDecay },
  ];
}
