// Self-check of the procedural classifier on dataset images (held-out shapes included),
// clean and degraded (blur + Gaussian noise, as generated images are soft and noisy).
// Run: npx tsx research/eval/validate-classifier.ts [count] [resolution]

import { datasetBatch } from '../datasets/shapes.ts';
import { SHAPES } from '../datasets/vocabulary.ts';
import { classifyImage } from './classify.ts';
import { addGaussianNoise, gaussianBlur } from './image-ops.ts';

export interface ValidationOptions {
  count?: number;
  seed?: number;
  resolution?: number;
  /** Gaussian noise std added after blurring (0 = clean). */
  noiseSigma?: number;
  /** Gaussian blur std in pixels (0 = none). */
  blurSigma?: number;
}

export interface ValidationReport {
  count: number;
  resolution: number;
  noiseSigma: number;
  blurSigma: number;
  shapeAccuracy: number;
  colorAccuracy: number;
  backgroundAccuracy: number;
  positionAccuracy: number;
  sizeAccuracy: number;
  /** confusion[true][predicted] = count. */
  confusion: Record<string, Record<string, number>>;
  /** One line per shape with errors: "star: 48/50 (cross 2)". */
  summary: string[];
}

export function validateClassifier(opts: ValidationOptions = {}): ValidationReport {
  const count = opts.count ?? 500;
  const resolution = opts.resolution ?? 32;
  const noiseSigma = opts.noiseSigma ?? 0;
  const blurSigma = opts.blurSigma ?? 0;
  const seed = opts.seed ?? 1234;
  const batch = datasetBatch(seed, 0, count, { resolution, shapes: SHAPES, allowHeldOut: true });
  const px = resolution * resolution * 3;
  const confusion: Record<string, Record<string, number>> = {};
  const hits = { shape: 0, color: 0, background: 0, position: 0, size: 0 };
  for (let i = 0; i < count; i++) {
    let img = batch.images.subarray(i * px, (i + 1) * px) as Float32Array;
    if (blurSigma > 0) img = gaussianBlur(img, resolution, resolution, blurSigma);
    if (noiseSigma > 0) img = addGaussianNoise(img, noiseSigma, seed * 7919 + i);
    const a = batch.attrs[i];
    const c = classifyImage(img, resolution, resolution);
    (confusion[a.shape] ??= {})[c.shape] = (confusion[a.shape][c.shape] ?? 0) + 1;
    if (c.shape === a.shape) hits.shape++;
    if (c.color === a.color) hits.color++;
    if (c.background === a.background) hits.background++;
    if (c.position === a.position) hits.position++;
    if (c.size === a.size) hits.size++;
  }
  const summary = Object.entries(confusion).map(([truth, row]) => {
    const total = Object.values(row).reduce((s, v) => s + v, 0);
    const errs = Object.entries(row).filter(([p]) => p !== truth).map(([p, v]) => `${p} ${v}`);
    return `${truth}: ${row[truth] ?? 0}/${total}${errs.length ? ` (${errs.join(', ')})` : ''}`;
  });
  return {
    count, resolution, noiseSigma, blurSigma,
    shapeAccuracy: hits.shape / count,
    colorAccuracy: hits.color / count,
    backgroundAccuracy: hits.background / count,
    positionAccuracy: hits.position / count,
    sizeAccuracy: hits.size / count,
    confusion,
    summary,
  };
}

export function formatReport(r: ValidationReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return [
    `classifier on ${r.count} dataset images at ${r.resolution}×${r.resolution} (noise σ=${r.noiseSigma}, blur σ=${r.blurSigma}):`,
    `  shape ${pct(r.shapeAccuracy)}  colour ${pct(r.colorAccuracy)}  background ${pct(r.backgroundAccuracy)}  position ${pct(r.positionAccuracy)}  size ${pct(r.sizeAccuracy)}`,
    ...r.summary.map((s) => `  ${s}`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 500);
  const resolution = Number(process.argv[3] ?? 32);
  console.log(formatReport(validateClassifier({ count, resolution })));
  console.log(formatReport(validateClassifier({ count, resolution, noiseSigma: 0.05, blurSigma: 0.5 })));
}
