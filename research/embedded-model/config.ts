// Sizes of the embedded default model. The real one is trained by `npm run train:base`;
// TINY_TEST_CONFIG builds the same architecture small enough for unit tests.
export interface EmbeddedModelConfig {
  /** Pixel resolution the model is trained at (square). */
  resolution: number;
  /** SpaceToDepth block of the fixed "VAE": latents are (3·patch²) × (res/patch)². */
  patch: number;
  /** UNet channels per level (level 0 at the latent resolution). */
  channels: readonly number[];
  /** Which levels carry transformer blocks (self- + cross-attention). */
  attention: readonly boolean[];
  groups: number;
  heads: number;
  timeEmbedDim: number;
  /** Sinusoidal timestep features fed to the time MLP. */
  timeFeatures: number;
  text: { width: number; layers: number; heads: number; mlp: number; maxLength: number };
  /** GEGLU inner width = mult · channels. */
  ffMult: number;
}

// 32×32 pixels: enough to draw a recognisable shape in a colour and a position, and small
// enough that a 2-core CPU trains it from scratch in the time budget. The 2×2 SpaceToDepth
// "VAE" makes the UNet work at 16×16 (4× fewer positions than pixel space), exactly invertible.
export const EMBEDDED_CONFIG: EmbeddedModelConfig = {
  resolution: 32,
  patch: 2,
  channels: [48, 96],
  // Attention at 8×8 and in the middle only: at 16×16 it would cost more than it adds for
  // one shape per image.
  attention: [false, true],
  groups: 12,
  heads: 4,
  timeEmbedDim: 128,
  timeFeatures: 64,
  text: { width: 64, layers: 2, heads: 4, mlp: 128, maxLength: 16 },
  ffMult: 2,
};

export const TINY_TEST_CONFIG: EmbeddedModelConfig = {
  resolution: 16,
  patch: 2,
  channels: [8, 16],
  attention: [false, true],
  groups: 4,
  heads: 2,
  timeEmbedDim: 16,
  timeFeatures: 8,
  text: { width: 8, layers: 1, heads: 2, mlp: 16, maxLength: 8 },
  ffMult: 2,
};

export function latentShape(config: EmbeddedModelConfig, resolution = config.resolution): [number, number, number] {
  return [3 * config.patch * config.patch, resolution / config.patch, resolution / config.patch];
}
