// A small self-contained seeded PRNG for the procedural datasets, so that the dataset is
// bit-reproducible from a seed and does not depend on any other module's random source.
//
// Generator: mulberry32 (Tommy Ettinger's 32-bit state generator; period 2^32, passes
// PractRand to 2^31+ bytes — plenty for drawing attributes of 32×32 images).
// Seed derivation: a murmur3-style finaliser (`mix32`) hashes (seed, index) into an
// independent stream per sample, so `datasetBatch(seed, i, n)` is random-access: sample i
// is the same whichever batch it is drawn in.

/** murmur3 fmix32: a bijective avalanche on 32-bit integers. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes a seed and any number of integer keys (e.g. sample index) into a 32-bit seed. */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const k of keys) {
    // Fold in both halves so indices above 2^32 still differ.
    h = mix32(h ^ mix32((k >>> 0) + 0x7f4a7c15));
    h = mix32(h ^ Math.floor(k / 4294967296));
  }
  return h;
}

/** mulberry32 (named for its algorithm: the studio's own `Rng` is the Philox generator of server/diffusion). */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Mulberry32 seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** Next raw 32-bit unsigned integer (mulberry32 step). */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Mulberry32.pick: empty list');
    return items[this.int(items.length)];
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller; one draw of two uniforms per call, for simple determinism). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Current state, to snapshot / resume a stream. */
  getState(): number {
    return this.state;
  }
}

/** Accepts either a generator or a seed. */
export function toRng(rngOrSeed: Mulberry32 | number): Mulberry32 {
  return typeof rngOrSeed === 'number' ? new Mulberry32(rngOrSeed) : rngOrSeed;
}
