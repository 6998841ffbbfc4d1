// Public API of the diffusion pipelines: text encoding, DDIM sampling, DDIM inversion, VAE.
export { checkLatent, latentSize, type Latent } from './latent.ts';
export { sessionRequest, type PartOverride } from './overrides.ts';
export { encodeIds, encodeText } from './text.ts';
export { Denoiser, unetRows, type DenoiserOptions } from './denoiser.ts';
export { sampleLatents, type SampleOptions, type LoopOptions, type StepInfo } from './sample.ts';
export { invertLatents, type InvertOptions } from './invert.ts';
export { encodeImage, decodeLatent, type EncodeOptions } from './vae.ts';
export { randomLatent } from './noise.ts';
export { previewAt, previewPng, previewEvery, previewMethod, wantsPreview, latentToRgb, fitLatentToRgb, linearPreviewPng, type LatentToRgb, type PreviewMethod } from './preview.ts';
export { checkSide, latentShapeFor, MAX_SIDE } from './size.ts';
export { checkPrompt, checkSteps, MAX_STEPS } from './checks.ts';
