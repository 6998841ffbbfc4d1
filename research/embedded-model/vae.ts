// The embedded model's fixed "VAE": an exactly invertible 2×2 SpaceToDepth between pixels in
// [-1, 1] and latents (3·p² channels at 1/p resolution). No weights to train, so base
// training spends all its time on the UNet and text encoder; the pipeline code is the same as
// for SD's KL-VAE (encode → scale → denoise → unscale → decode).
import { GraphBuilder, type ModelProto } from '../../server/onnx/index.ts';
import type { EmbeddedModelConfig } from './config.ts';
import { latentShape } from './config.ts';

export function buildVaeEncoder(cfg: EmbeddedModelConfig): ModelProto {
  const g = new GraphBuilder({ name: 'vae_encoder' });
  const x = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
  g.node('SpaceToDepth', [x], { blocksize: cfg.patch }, { output: 'latent_sample' });
  g.output('latent_sample', 'float32', ['batch', latentShape(cfg)[0], 'latent_height', 'latent_width']);
  return g.toModel();
}

export function buildVaeDecoder(cfg: EmbeddedModelConfig): ModelProto {
  const g = new GraphBuilder({ name: 'vae_decoder' });
  const z = g.input('latent_sample', 'float32', ['batch', latentShape(cfg)[0], 'latent_height', 'latent_width']);
  // DCR order is the exact inverse of SpaceToDepth's channel layout.
  g.node('DepthToSpace', [z], { blocksize: cfg.patch, mode: 'DCR' }, { output: 'sample' });
  g.output('sample', 'float32', ['batch', 3, 'height', 'width']);
  return g.toModel();
}
