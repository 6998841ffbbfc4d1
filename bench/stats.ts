// Small statistics shared by the benches (not a bench itself: bench/index.ts skips files
// without a `run` or `bench*` export).

/** Upper median (the middle element after sorting; the upper of the two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
