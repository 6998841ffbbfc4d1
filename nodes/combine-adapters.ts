// CombineAdapters: two ADAPTER inputs → one that applies both (each keeps its own strength and,
// at sampling, its own transport rate, so several erasers do not erode each other).
import { defineNode } from './define.ts';

export default defineNode({
  type: 'CombineAdapters',
  displayName: 'Combine Adapters',
  category: 'adapters',
  description: 'Applies several adapters together (e.g. two erased concepts). Each keeps its strength; with facilitated transport each acts only on prompts that match its own concepts.',
  inputs: {
    adapter_a: { type: 'ADAPTER' },
    adapter_b: { type: 'ADAPTER' },
    strength_a: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.05 },
    strength_b: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.05 },
  },
  outputs: [{ name: 'ADAPTER', type: 'ADAPTER' }],

  async run({ adapter_a, adapter_b, strength_a, strength_b }) {
    const scaled = (s: typeof adapter_a, k: number) => s.uses.map((u) => ({ ...u, strength: u.strength * k }));
    return { outputs: [{ uses: [...scaled(adapter_a, strength_a), ...scaled(adapter_b, strength_b)] }] };
  },
});
