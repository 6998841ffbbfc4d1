// IEEE 754 half-precision (and bfloat16) ↔ float32: fp16 model I/O, fp16 weight overrides,
// reading half-precision weights and shift files. Node 20 has
// no Float16Array: ONNX Runtime takes float16 tensors as Uint16Array bit patterns.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds one float32 to the nearest half (ties to even); overflow → ±Inf, NaN kept. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too big: Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit 1 in, round to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rest > mid || (rest === mid && (half & 1)) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  return sign | (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? half + 1 : half);
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float32ToHalf(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = toHalfBits(src[i]);
  return out;
}

export function halfToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = fromHalfBits(src[i]);
  return out;
}

const bf = new DataView(new ArrayBuffer(4));
/** bfloat16 is the top half of a float32. */
export function fromBfloat16Bits(h: number): number {
  bf.setUint32(0, h << 16);
  return bf.getFloat32(0);
}
