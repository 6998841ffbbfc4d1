// One training batch, drawn from the step's own random stream: B instance items (a subject's
// image, or with probability p a Cut-Mix of all subjects) and, with prior preservation, B
// class items composed the same way from the class images with the class prompts (a plain
// one is, with preservation prompts, a base-model image of one of those half the time, with
// its prompt or the empty one).
import type { RgbImage } from '../../image/index.ts';
import type { Rng } from '../rng.ts';
import { augment, type AugmentOptions } from './augment.ts';
import { composeSideBySide, mixPrompt, type Region } from './cut-mix.ts';
import type { TrainSettings } from './types.ts';

export interface BatchItem {
  image: RgbImage;
  prompt: string;
  kind: 'instance' | 'class';
  /** Loss weight: 1/B for instance items, λ/B for class items. */
  weight: number;
  /** For a Cut-Mix item: each subject's region and identifier, left to right. */
  mix?: { regions: Region[]; identifiers: string[] };
}

/** Base-model images of one preservation prompt. */
export interface PreserveSet {
  prompt: string;
  images: readonly RgbImage[];
}

export interface DrawOptions {
  settings: Pick<TrainSettings, 'subjects' | 'batchSize' | 'priorWeight' | 'mixProbability' | 'randomCrop' | 'randomFlip' | 'resolution'>;
  /** Class images per subject (empty arrays when λ = 0). */
  classImages: readonly (readonly RgbImage[])[];
  /** Preservation sets (settings.preservePrompts); each plain prior item is one with probability ½. */
  preserve?: readonly PreserveSet[];
  /** Pixels per latent cell (Cut-Mix strips end on latent cells). */
  downscale: number;
}

export function drawBatch(rng: Rng, o: DrawOptions): BatchItem[] {
  const { settings: s } = o;
  const aug: AugmentOptions = { randomCrop: s.randomCrop, randomFlip: s.randomFlip };
  const B = s.batchSize;
  const n = s.subjects.length;
  const withPrior = s.priorWeight > 0;
  const pick = (images: readonly RgbImage[]) => augment(images[rng.int(images.length)], rng, aug);
  const items: BatchItem[] = [];
  const plans: ({ mix: true } | { mix: false; subject: number })[] = [];
  for (let i = 0; i < B; i++) {
    const u = rng.nextFloat64();
    const plan = n > 1 && u < s.mixProbability ? ({ mix: true } as const) : ({ mix: false, subject: rng.int(n) } as const);
    plans.push(plan);
    if (plan.mix) {
      const { image, regions } = composeSideBySide(s.subjects.map((sub) => pick(sub.images)), s.resolution, s.resolution, o.downscale);
      items.push({ image, prompt: mixPrompt(s.subjects.map((sub) => sub.prompt)), kind: 'instance', weight: 1 / B, mix: { regions, identifiers: s.subjects.map((sub) => sub.identifier) } });
    } else {
      const sub = s.subjects[plan.subject];
      items.push({ image: pick(sub.images), prompt: sub.prompt, kind: 'instance', weight: 1 / B });
    }
  }
  if (withPrior) {
    for (const plan of plans) {
      if (plan.mix) {
        const { image } = composeSideBySide(o.classImages.map((imgs) => pick(imgs)), s.resolution, s.resolution, o.downscale);
        items.push({ image, prompt: mixPrompt(s.subjects.map((sub) => sub.classPrompt)), kind: 'class', weight: s.priorWeight / B });
      } else if (o.preserve?.length && rng.nextFloat64() < 0.5) {
        // Half of them with the empty prompt: classifier-free guidance subtracts the model's
        // unconditional prediction, amplified by the guidance scale, so it is held in place too.
        const set = o.preserve[rng.int(o.preserve.length)];
        items.push({ image: pick(set.images), prompt: rng.nextFloat64() < 0.5 ? '' : set.prompt, kind: 'class', weight: s.priorWeight / B });
      } else {
        items.push({ image: pick(o.classImages[plan.subject]), prompt: s.subjects[plan.subject].classPrompt, kind: 'class', weight: s.priorWeight / B });
      }
    }
  }
  return items;
}
