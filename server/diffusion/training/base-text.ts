// The frozen base text encoder's states per prompt, encoded once: prompts repeat across steps,
// and both the UNet-only training feed and the base-prediction prior targets read them.
import type { LoadedModel } from '../model/index.ts';
import { encodeText } from '../pipeline/index.ts';

export class BaseTextStates {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly model: LoadedModel) {}

  /** States of `prompts` stacked in order: prompts.length × maxLength × width. */
  async stack(prompts: readonly string[]): Promise<{ data: Float32Array; width: number }> {
    const states: Float32Array[] = [];
    for (const p of prompts) {
      let h = this.cache.get(p);
      if (!h) {
        h = (await encodeText(this.model, [p])).data.slice();
        this.cache.set(p, h);
      }
      states.push(h);
    }
    const per = states[0]?.length ?? 0;
    const data = new Float32Array(prompts.length * per);
    states.forEach((h, i) => data.set(h, i * per));
    return { data, width: per / this.model.tokenizer.maxLength };
  }
}
