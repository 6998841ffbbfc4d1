// The settings of one concept-erasing run (SPM's objective), after validation (validate.ts).
import type { AdapterScope } from '../../adapters/index.ts';

/** adapter: SPM's one-dimensional (rank-r) adapters; spectral: δ on the singular values (SVDiff's parameters). */
export type EraseMode = 'adapter' | 'spectral';
export const ERASE_MODES: readonly EraseMode[] = ['adapter', 'spectral'];

export interface EraseSettings {
  /** The concepts erased (facilitated transport and the adapter file's `prompts`). */
  concepts: string[];
  /** Prompts the erasing loss is trained on, each naming a concept. */
  targetPrompts: string[];
  /** What the target prompts should produce instead (default the empty prompt). */
  surrogate: string;
  /** Negative guidance η: target = ε(c_sur) − η·(ε(c_tar) − ε(c_sur)). */
  eta: number;
  /** λ of latent anchoring (0: none). */
  anchorWeight: number;
  /** Anchor items per step: the surrogate prompt and anchorCount − 1 sampled anchor concepts. */
  anchorCount: number;
  /** Accepted text-state similarity of a sampled anchor to the target prompt, [lo, hi] in [0, 1]. */
  anchorBand: [number, number];
  /** Explicit anchor prompts, drawn alongside the sampled ones. */
  anchorPrompts: string[];
  mode: EraseMode;
  /** Layers trained (see `AdapterScope`): SPM's transformer blocks, those plus the embedding paths into the resnets, or every UNet linear and conv layer. */
  layers: AdapterScope;
  /** Adapter rank (SPM: 1). */
  rank: number;
  steps: number;
  /** Erasing items per step (noisy latents, one target prompt per step). */
  batchSize: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  resolution: number;
  /** DDIM schedule that makes x_t: the frozen model denoises k of these steps under the target prompt. */
  trajectorySteps: number;
  /** Denoising trajectories kept per target prompt (x_t is drawn from them). */
  trajectoryPool: number;
  /** Classifier-free guidance of that denoising (SPM: 3). */
  trajectoryGuidance: number;
  checkpointEvery: number;
}
