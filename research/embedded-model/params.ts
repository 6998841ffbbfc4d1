// Weight initialisation for freshly built graphs: seeded, so the same config and seed give
// the same model bytes everywhere.
import { Rng } from '../../server/diffusion/index.ts';
import type { GraphBuilder } from '../../server/onnx/index.ts';

export class ParamFactory {
  private readonly rng: Rng;
  constructor(
    private readonly g: GraphBuilder,
    seed: number,
  ) {
    this.rng = new Rng(seed, 7);
  }

  /** Normal(0, std²) weights; std defaults to 1/√fanIn (LeCun), which keeps activations O(1). */
  normal(name: string, dims: readonly number[], fanIn: number, gain = 1): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = this.rng.normal(n);
    const std = gain / Math.sqrt(fanIn);
    for (let i = 0; i < n; i++) data[i] *= std;
    return this.g.initializer(name, data, dims);
  }

  fill(name: string, dims: readonly number[], value: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    return this.g.initializer(name, new Float32Array(n).fill(value), dims);
  }
}
