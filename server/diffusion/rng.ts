// Seeded random numbers that are bit-identical on every run, machine and Node version.
//
// Generator: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// the counter-based generator of Random123 (also used by cuRAND and PyTorch's CUDA backend).
//   - key   = (seed mod 2³², ⌊seed / 2³²⌋), so every seed in [0, 2⁶⁴ − 1] is its own key.
//     Seeds are non-negative integers, as a `bigint` up to 2⁶⁴ − 1 or a `number` (exact up to
//     2⁵³ − 1; larger integral doubles are taken at their exact value). ComfyUI's seed widget
//     reaches 0xffffffffffffffff, which JSON.parse rounds to the number 2⁶⁴: that one value is
//     read as 2⁶⁴ − 1, so it matches the bigint seed.
//   - counter = (block mod 2³², ⌊block / 2³²⌋, stream, 0) for block = 0, 1, 2, …; each block
//     gives four uint32 words, consumed in order. `stream` (default 0) selects an independent
//     sequence for the same seed.
//   - rounds: 10, multipliers 0xD2511F53 / 0xCD9E8D57, key bumps 0x9E3779B9 / 0xBB67AE85, the
//     key bumped before every round but the first (Random123's known-answer vectors pass).
//   - 32×32→64-bit products are formed from 16-bit halves; all arithmetic is on integers below
//     2⁵³, so results never depend on the platform.
// Conversions:
//   - float64 in [0, 1): two words a, b → ((a >>> 5)·2²⁶ + (b >>> 6)) / 2⁵³.
//   - float32 uniform in [0, 1): one word → (w >>> 8) / 2²⁴ (exactly representable).
//   - normal: Box–Muller on float64. Per pair: u₁ = 1 − U (in (0, 1]), u₂ = U' (two float64
//     uniforms, i.e. four words = one Philox block for a fresh generator); r = sqrt(−2 ln u₁);
//     z₀ = r·cos(2πu₂), z₁ = r·sin(2πu₂); each rounded to float32. An odd count drops the last
//     z₁. V8 implements Math.log/cos/sin with fdlibm ports, so the float64 values (and thus the
//     float32 latents) are the same on every machine running Node.
//   - randn(seed, shape) = new Rng(seed).normal(∏shape): value 2k and 2k+1 come from block k.

export type Seed = number | bigint;

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/** Splits a seed into Philox's two 32-bit key words, validating the range. */
export function seedToKey(seed: Seed): [number, number] {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > 0xffffffffffffffffn) {
      throw new RangeError(`seed must be an integer in [0, 2^64 - 1], got ${seed}`);
    }
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 64) {
    throw new RangeError(`seed must be an integer in [0, 2^64 - 1], got ${seed}`);
  }
  if (seed >= 2 ** 64) return [0xffffffff, 0xffffffff]; // JSON's rounding of 0xffffffffffffffff
  return [seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)];
}

/** High and low 32 bits of a·b for uint32 a, b, returned via `out`. */
function mulhilo(a: number, b: number, out: Uint32Array, hiIdx: number, loIdx: number): void {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  out[hiIdx] = hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16);
  out[loIdx] = Math.imul(a, b);
}

const tmp = new Uint32Array(4);

/** Philox4x32-10 block function: writes the 4 output words for (counter, key) into `out`. */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    mulhilo(M0, c0, tmp, 0, 1); // hi0, lo0
    mulhilo(M1, c2, tmp, 2, 3); // hi1, lo1
    const n0 = (tmp[2] ^ c1 ^ k0) >>> 0;
    const n2 = (tmp[0] ^ c3 ^ k1) >>> 0;
    c1 = tmp[3];
    c3 = tmp[1];
    c0 = n0;
    c2 = n2;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

export class Rng {
  private readonly key: [number, number];
  private readonly stream: number;
  private block = 0;
  private readonly buf = new Uint32Array(4);
  private used = 4;

  constructor(seed: Seed, stream = 0) {
    this.key = seedToKey(seed);
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) {
      throw new RangeError(`rng stream must be an integer in [0, 2^32 - 1], got ${stream}`);
    }
    this.stream = stream;
  }

  /** Words consumed so far (lets a training loop log or check its position). */
  get position(): number {
    return this.block * 4 - (4 - this.used);
  }

  nextUint32(): number {
    if (this.used === 4) {
      const b = this.block++;
      philox4x32([b % TWO_POW_32, Math.floor(b / TWO_POW_32), this.stream, 0], this.key, this.buf);
      this.used = 0;
    }
    return this.buf[this.used++];
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  nextFloat64(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** n uniform float32 values in [lo, hi) (24 random bits each). */
  uniform(n: number, lo = 0, hi = 1): Float32Array {
    checkCount(n);
    const out = new Float32Array(n);
    const span = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + span * ((this.nextUint32() >>> 8) / 16777216);
    return out;
  }

  /** n normal float32 values (Box–Muller, see the file header). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    checkCount(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.nextFloat64();
      const u2 = this.nextFloat64();
      const r = Math.sqrt(-2 * Math.log(u1));
      const th = 2 * Math.PI * u2;
      out[i] = mean + std * (r * Math.cos(th));
      if (i + 1 < n) out[i + 1] = mean + std * (r * Math.sin(th));
    }
    return out;
  }

  /** Uniform integer in [0, max), unbiased (rejection sampling); 1 ≤ max ≤ 2³². */
  int(max: number): number {
    if (!Number.isInteger(max) || max < 1 || max > TWO_POW_32) {
      throw new RangeError(`rng.int: max must be an integer in [1, 2^32], got ${max}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % max);
    for (;;) {
      const w = this.nextUint32();
      if (w < limit) return w % max;
    }
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** Standard normal tensor of the given shape, e.g. randn(seed, [1, 4, 64, 64]) for a latent. */
export function randn(seed: Seed, shape: readonly number[], stream = 0): Float32Array {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`randn: bad shape [${shape.join(', ')}]`);
    n *= d;
  }
  return new Rng(seed, stream).normal(n);
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`rng: count must be a non-negative integer, got ${n}`);
}
