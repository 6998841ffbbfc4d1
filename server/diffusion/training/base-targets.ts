// Prior items' targets as the base model's own prediction (prior_target = base_prediction):
// the frozen UNet (no shifts) run on the same noisy latents, timesteps and prompts. The prior
// loss is then the distance between the shifted and the base model's outputs, exactly 0 at
// δ = 0, instead of the noisy ε-regression on generated images that only holds that distance
// in expectation (its per-item loss is ~30× the drift it is meant to measure).
import type { LoadedModel, PartRunner } from '../model/index.ts';
import type { BaseTextStates } from './base-text.ts';
import type { BatchItem } from './batch.ts';

export class BaseTargets {
  private unet?: Promise<PartRunner>;

  constructor(private readonly model: LoadedModel, private readonly text: BaseTextStates) {}

  /** Overwrites `target` rows of the class items with the base UNet's output at `noisy`. */
  async fill(items: readonly BatchItem[], noisy: Float32Array, shape: readonly number[], ts: readonly number[], target: Float32Array): Promise<void> {
    const idx = items.flatMap((it, i) => (it.kind === 'class' ? [i] : []));
    if (idx.length === 0) return;
    const per = noisy.length / items.length;
    const L = this.model.tokenizer.maxLength;
    this.unet ??= this.model.runner('unet');
    const u = await this.unet;
    const [sn, tn, en] = u.inputNames;
    // One batched run, or where the export takes a single timestep, one per distinct timestep.
    const groups = u.timestepPerItem(tn) ? [idx] : groupBy(idx, (i) => ts[i]);
    for (const g of groups) {
      const x = new Float32Array(g.length * per);
      g.forEach((i, j) => x.set(noisy.subarray(i * per, (i + 1) * per), j * per));
      const text = await this.text.stack(g.map((i) => items[i].prompt));
      const out = await u.run({
        [sn]: u.floatTensor(sn, x, [g.length, shape[1], shape[2], shape[3]]),
        [tn]: u.timestepsTensor(tn, g.map((i) => ts[i])),
        [en]: u.floatTensor(en, text.data, [g.length, L, text.width]),
      });
      g.forEach((i, j) => target.set(out.data.subarray(j * per, (j + 1) * per), i * per));
    }
  }
}

/** `idx` split into groups of equal key, in first-seen order. */
function groupBy(idx: readonly number[], key: (i: number) => number): number[][] {
  const groups = new Map<number, number[]>();
  for (const i of idx) {
    const k = key(i);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  return [...groups.values()];
}
