// Writes a complete model folder in the diffusers ONNX layout (what `optimum-cli export onnx`
// writes for SD), so Load Model, the pipelines and the spectral code treat the embedded model
// exactly like Stable Diffusion. Weights are random (seeded) until `npm run train:base`.
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { saveModel, type ModelProto } from '../../server/onnx/index.ts';
import { tokenizerVocabulary } from '../datasets/vocabulary.ts';
import { latentShape, type EmbeddedModelConfig } from './config.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildUnet } from './unet.ts';
import { buildVaeDecoder, buildVaeEncoder } from './vae.ts';

/**
 * DDIM as SD 1.x configures it, except the betas: DDPM's linear 1e-4 → 0.02 (the pixel-space
 * schedule) instead of SD's scaled-linear 0.00085 → 0.012. This model works in pixel space,
 * where SD's schedule leaves √ᾱ_T ≈ 0.07 of the image in x_T: the model learns to read the
 * image's mean colour from x_T and, started from pure noise, draws random washed-out colours.
 * Linear betas leave √ᾱ_T ≈ 0.006. And v-prediction (as SD 2.x): at high noise the model
 * predicts the image itself (v ≈ −x₀), so its loss there is what the prompt decides, and its
 * x̂₀ is not an ε error divided by √ᾱ_t ≈ 0.
 */
export const SCHEDULER_CONFIG = {
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'v_prediction',
  timestep_spacing: 'leading',
};

export interface EmbeddedParts {
  unet: ModelProto;
  text_encoder: ModelProto;
  vae_encoder: ModelProto;
  vae_decoder: ModelProto;
}

export function buildEmbeddedParts(config: EmbeddedModelConfig, seed: number, vocab = tokenizerVocabulary()): EmbeddedParts {
  const vocabSize = Math.max(...Object.values(vocab)) + 1;
  return {
    unet: buildUnet(config, seed),
    text_encoder: buildTextEncoder(config, vocabSize, seed + 1),
    vae_encoder: buildVaeEncoder(config),
    vae_decoder: buildVaeDecoder(config),
  };
}

export interface WriteOptions {
  seed: number;
  /** Parts to write instead of freshly built ones (e.g. trained weights). */
  parts?: Partial<EmbeddedParts>;
  /** Extra fields for model_index.json (training provenance). */
  info?: Record<string, unknown>;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Writes into a temp folder beside `dir` and renames it into place: never a half-written model. */
export async function writeEmbeddedModel(dir: string, config: EmbeddedModelConfig, opts: WriteOptions): Promise<void> {
  const vocab = tokenizerVocabulary();
  const parts = { ...buildEmbeddedParts(config, opts.seed, vocab), ...opts.parts };
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(
      join(tmp, 'model_index.json'),
      json({
        _class_name: 'OnnxStableDiffusionPipeline',
        _diffusers_version: '0.30.0',
        text_encoder: ['diffusers', 'OnnxRuntimeModel'],
        tokenizer: ['svdiff_studio', 'WordLevelTokenizer'],
        unet: ['diffusers', 'OnnxRuntimeModel'],
        vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
        vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
        scheduler: ['diffusers', 'DDIMScheduler'],
        svdiff_embedded: { config, seed: opts.seed, ...opts.info },
      }),
    );
    for (const [part, model] of Object.entries(parts)) {
      mkdirSync(join(tmp, part));
      saveModel(model, join(tmp, part, 'model.onnx'), { location: 'model.onnx_data' });
    }
    // diffusers' UNet config: Load Model reads the size multiple from block_out_channels
    // instead of probing the graph.
    writeFileSync(
      join(tmp, 'unet', 'config.json'),
      json({
        _class_name: 'UNet2DConditionModel',
        block_out_channels: config.channels,
        in_channels: latentShape(config)[0],
        out_channels: latentShape(config)[0],
        sample_size: config.resolution / config.patch,
        cross_attention_dim: config.text.width,
        layers_per_block: 1,
        resnet_time_scale_shift: 'scale_shift',
        addition_embed_type: 'text',
      }),
    );
    const vaeConfig = json({ _class_name: 'SpaceToDepthVAE', scaling_factor: 1.0, patch: config.patch, sample_size: config.resolution });
    writeFileSync(join(tmp, 'vae_decoder', 'config.json'), vaeConfig);
    writeFileSync(join(tmp, 'vae_encoder', 'config.json'), vaeConfig);
    mkdirSync(join(tmp, 'tokenizer'));
    writeFileSync(
      join(tmp, 'tokenizer', 'tokenizer_config.json'),
      json({
        tokenizer_class: 'WordLevelTokenizer',
        model_max_length: config.text.maxLength,
        do_lower_case: true,
        bos_token: '[BOS]',
        eos_token: '[EOS]',
        pad_token: '[PAD]',
        unk_token: '[UNK]',
      }),
    );
    writeFileSync(join(tmp, 'tokenizer', 'vocab.json'), json(vocab));
    mkdirSync(join(tmp, 'scheduler'));
    writeFileSync(join(tmp, 'scheduler', 'scheduler_config.json'), json(SCHEDULER_CONFIG));
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
