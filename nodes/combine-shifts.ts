// CombineShifts: δ' = s · (w_a·δ_a + w_b·δ_b). add: weights 1; interpolate: α, 1 − α;
// weighted_sum: weight_a, weight_b. Shifts of different models are refused.
import { defineNode, InputError } from './define.ts';
import { combineShifts, CombineError } from '../server/spectral/index.ts';

const NODE = 'CombineShifts';
const MODES = ['add', 'interpolate', 'weighted_sum'] as const;

export default defineNode({
  type: NODE,
  displayName: 'Combine Shifts',
  category: 'spectral',
  description:
    'Combines spectral shifts of the same model: add (δ_a + δ_b), interpolate (α·δ_a + (1 − α)·δ_b) or weighted_sum (w_a·δ_a + w_b·δ_b), ' +
    'then multiplies by scale. With only shifts_a connected it scales them. A layer missing from one input counts as zero there.',
  inputs: {
    shifts_a: { type: 'SHIFTS' },
    shifts_b: { type: 'SHIFTS', optional: true },
    mode: { type: 'COMBO', options: MODES, default: 'add' },
    alpha: { type: 'FLOAT', default: 0.5, min: -10, max: 10, step: 0.01, tooltip: 'interpolate: weight of shifts_a (shifts_b gets 1 − α).' },
    weight_a: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.01, tooltip: 'weighted_sum: weight of shifts_a.' },
    weight_b: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.01, tooltip: 'weighted_sum: weight of shifts_b.' },
    scale: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.01, tooltip: 'Multiplies the combined shifts.' },
  },
  outputs: [{ name: 'SHIFTS', type: 'SHIFTS' }],

  async run({ shifts_a, shifts_b, mode, alpha, weight_a, weight_b, scale }, ctx) {
    const weights: Record<(typeof MODES)[number], [number, number]> = {
      add: [1, 1],
      interpolate: [alpha, 1 - alpha],
      weighted_sum: [weight_a, weight_b],
    };
    if (!(MODES as readonly string[]).includes(mode)) throw new InputError('mode', `unknown mode "${mode}" (expected ${MODES.join(', ')})`);
    for (const [name, v] of Object.entries({ alpha, weight_a, weight_b, scale })) {
      if (!Number.isFinite(v)) throw new InputError(name, `must be a finite number, got ${v}`);
    }
    if (mode === 'interpolate' && !shifts_b) throw new InputError('shifts_b', 'interpolate needs two sets of shifts: connect shifts_b');
    const [wa, wb] = weights[mode as (typeof MODES)[number]];
    try {
      const out = shifts_b ? combineShifts([shifts_a, shifts_b], [wa, wb], scale) : combineShifts([shifts_a], [mode === 'weighted_sum' ? wa : 1], scale);
      ctx.log(`${mode}: ${out.deltas.size} layers`);
      return { outputs: [out] };
    } catch (e) {
      if (e instanceof CombineError) throw new InputError(/different models|values in one input/.test(e.message) ? 'shifts_b' : 'mode', e.message);
      throw e;
    }
  },
});
