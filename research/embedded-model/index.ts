// The embedded default model (models/svdiff-shapes): architecture, sizes, writing it in the
// diffusers ONNX layout, and the base-training graph `npm run train:base` trains it with.
export { EMBEDDED_CONFIG, TINY_TEST_CONFIG, latentShape, type EmbeddedModelConfig } from './config.ts';
export { buildUnet } from './unet.ts';
export { buildTextEncoder } from './text-encoder.ts';
export { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
export { buildEmbeddedParts, writeEmbeddedModel, SCHEDULER_CONFIG, type EmbeddedParts, type WriteOptions } from './write-model.ts';
export { buildTrainGraph, weightedVTargets, type TrainGraph } from './train-graph.ts';
