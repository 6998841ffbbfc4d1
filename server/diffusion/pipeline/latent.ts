// The LATENT socket value: float32 NCHW latents in the UNet's space (VAE latents already
// multiplied by the model's scaling factor, as diffusers keeps them).
export interface Latent {
  samples: Float32Array;
  shape: [number, number, number, number];
}

/** Throws a readable message unless `l` is a well-formed latent. */
export function checkLatent(l: Latent | undefined): asserts l is Latent {
  const s = l?.shape;
  if (!l || !(l.samples instanceof Float32Array) || !Array.isArray(s) || s.length !== 4) throw new Error('not a LATENT (float32 NCHW)');
  if (!s.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`LATENT has a bad shape [${s.join(', ')}]`);
  const n = s[0] * s[1] * s[2] * s[3];
  if (l.samples.length !== n) throw new Error(`LATENT data has ${l.samples.length} values, shape [${s.join(', ')}] needs ${n}`);
}

export function latentSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
