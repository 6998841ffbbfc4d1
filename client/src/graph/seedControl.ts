// "control after generate" for seed-like INT widgets: after each queue the value stays,
// steps by one, or is drawn at random within the widget's range.
import type { ControlValue } from './nodeSpec.ts';

/** Randomised seeds stay within 2^53 so they survive JSON and JS numbers exactly. */
const MAX_SAFE_SEED = Number.MAX_SAFE_INTEGER;

export function nextSeed(value: number, mode: ControlValue | string, min = 0, max = MAX_SAFE_SEED, rand: () => number = Math.random): number {
  const lo = Math.max(min, -MAX_SAFE_SEED);
  const hi = Math.min(max, MAX_SAFE_SEED);
  switch (mode) {
    case 'increment':
      return value + 1 > hi ? lo : value + 1;
    case 'decrement':
      return value - 1 < lo ? hi : value - 1;
    case 'randomize':
      return lo + Math.floor(rand() * (hi - lo + 1));
    default:
      return value;
  }
}
