// COMBO options may be a list or a function of the data folder; resolve each once per use.
import type { ComboInput, OptionsEnv } from '../core/index.ts';

export class OptionsResolver {
  private readonly memo = new Map<ComboInput, Promise<readonly string[]>>();
  constructor(private readonly env: OptionsEnv) {}

  get(spec: ComboInput): Promise<readonly string[]> {
    let p = this.memo.get(spec);
    if (!p) {
      const o = spec.options;
      p = typeof o === 'function' ? Promise.resolve().then(() => o(this.env)) : Promise.resolve(o);
      this.memo.set(spec, p);
    }
    return p;
  }
}
