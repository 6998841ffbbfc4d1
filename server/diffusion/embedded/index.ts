// The embedded default model: architecture, sizes, and writing it in the diffusers ONNX layout.
export { EMBEDDED_CONFIG, TINY_TEST_CONFIG, latentShape, type EmbeddedModelConfig } from './config.ts';
export { buildUnet } from './unet.ts';
export { buildTextEncoder } from './text-encoder.ts';
export { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
export { buildEmbeddedParts, writeEmbeddedModel, SCHEDULER_CONFIG, type EmbeddedParts, type WriteOptions } from './write-model.ts';
