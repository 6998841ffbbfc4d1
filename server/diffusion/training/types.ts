// The settings of one spectral-shift training run, after validation (see validate.ts).
import type { RgbImage } from '../../image/index.ts';

export type TrainedParts = 'unet' | 'unet+text_encoder';
export const TRAINED_PARTS: readonly TrainedParts[] = ['unet', 'unet+text_encoder'];

/**
 * What prior items regress onto: `noise` (DreamBooth and the SVDiff reference: the ε added to
 * the generated image) or `base_prediction` (the base model's own prediction at the same noisy
 * latent, timestep and prompt: a direct penalty on drift, 0 at δ = 0).
 */
export type PriorTarget = 'noise' | 'base_prediction';
export const PRIOR_TARGETS: readonly PriorTarget[] = ['noise', 'base_prediction'];

export interface Subject {
  /** Training images, already square at the training resolution. */
  images: RgbImage[];
  /** Instance prompt ("a sks heart"), or a description of the image in single-image mode. */
  prompt: string;
  /** Class prompt ("a heart"); '' when no prior preservation. */
  classPrompt: string;
  /** Rare identifier ("sks"); '' in single-image mode. */
  identifier: string;
}

export interface TrainSettings {
  subjects: Subject[];
  /** λ: weight of the prior-preservation loss (0: none). */
  priorWeight: number;
  /** Class images generated per subject (when λ > 0). */
  numClassImages: number;
  /**
   * Prompts from the base model's own world ("a red circle on a gray background"): the base
   * model draws numClassImages images spread over them, at least one each (cached like class
   * images), and they take half the plain prior items (with their prompt, or the empty prompt
   * half the time), so the shifts are held to what the model did for other words and for no
   * words (language drift). Empty: the class prompt only.
   */
  preservePrompts: string[];
  priorTarget: PriorTarget;
  steps: number;
  batchSize: number;
  /** AdamW learning rate of matrix shifts. */
  lr: number;
  /** AdamW learning rate of 1-D (norm scale) shifts. */
  lr1d: number;
  /** AdamW learning rate of the text encoder's matrix shifts (its 1-D shifts use lr1d). */
  lrTextEncoder: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 = none. */
  maxGradNorm: number;
  seed: number;
  resolution: number;
  randomCrop: boolean;
  randomFlip: boolean;
  parts: TrainedParts;
  /** Probability that an instance sample is a Cut-Mix of all subjects (2+ subjects). */
  mixProbability: number;
  /** Weight of the unmix attention penalty (0: off). */
  unmixWeight: number;
  /** Save a checkpoint every N steps (0: never). */
  checkpointEvery: number;
}

/** What training reports each step (the node forwards it to ctx.progress). */
export interface StepReport {
  step: number;
  steps: number;
  loss: number;
  /** ε-MSE terms and the unmix penalty of the step (before weighting). */
  terms: { instance: number; prior: number; unmix: number };
  gradNorm: number;
  ms: number;
}
