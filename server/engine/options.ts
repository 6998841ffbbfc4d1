// COMBO options may be a list or a function of the data folder; resolve each once per use.
import type { ComboInput, OptionsEnv } from '../core/index.ts';
import { summarizeValue } from './describe.ts';

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

/**
 * Why `v` is not one of a COMBO's options, or undefined when it is: the one check, for
 * literals at validation and for values arriving over a link at run time.
 */
export async function comboProblem(spec: ComboInput, v: unknown, resolver: OptionsResolver): Promise<{ reason: string; options: readonly string[] } | undefined> {
  const options = await resolver.get(spec);
  if (typeof v === 'string' && options.includes(v)) return undefined;
  return { reason: `is ${JSON.stringify(v) ?? summarizeValue(v)}, not one of the options`, options };
}
