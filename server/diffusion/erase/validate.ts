// An erasing request (the node's inputs) → EraseSettings, or an InputError naming the input.
import { InputError } from '../../core/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { checkPrompt } from '../pipeline/index.ts';
import { ADAPTER_SCOPES, type AdapterScope } from '../../adapters/index.ts';
import { ERASE_MODES, type EraseMode, type EraseSettings } from './types.ts';

export interface EraseRequest {
  /** Comma-separated concepts ("circle", "red, crimson"). */
  concept: string;
  /** Prompts to erase on, one per line; `{}` stands for each concept. Empty: the concepts themselves. */
  target_prompts?: string;
  surrogate_prompt?: string;
  /** Explicit anchors, one per line. */
  anchor_prompts?: string;
  mode?: EraseMode;
  layers?: AdapterScope;
  rank?: number;
  eta?: number;
  anchor_weight?: number;
  anchor_count?: number;
  anchor_similarity_min?: number;
  anchor_similarity_max?: number;
  steps?: number;
  batch_size?: number;
  learning_rate?: number;
  seed?: number;
  resolution?: number;
  checkpoint_every?: number;
}

/** The default recipe (the node's widgets show these). */
export const ERASE_DEFAULTS = {
  mode: 'adapter' as EraseMode,
  layers: 'conditioning' as AdapterScope,
  rank: 1,
  eta: 1,
  anchor_weight: 1,
  anchor_count: 4,
  anchor_similarity_min: 0,
  anchor_similarity_max: 1,
  steps: 1000,
  batch_size: 4,
  learning_rate: 3e-3,
  seed: 0,
  checkpoint_every: 0,
  trajectory_steps: 20,
  trajectory_pool: 16,
  trajectory_guidance: 3,
};

const lines = (s: string | undefined) => (s ?? '').split('\n').map((l) => l.trim()).filter(Boolean);

function number(name: string, v: number | undefined, dflt: number, lo: number, hi: number, integer = false): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi || (integer && !Number.isInteger(x))) {
    throw new InputError(name, `must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${x}`);
  }
  return x;
}

export function validateErase(r: EraseRequest, model: LoadedModel, nativeResolution: number): EraseSettings {
  const concepts = (r.concept ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  if (concepts.length === 0) throw new InputError('concept', 'is empty: name the concept to erase (e.g. "circle")');
  for (const c of concepts) if (model.tokenizer.idsOf(c).length === 0) throw new InputError('concept', `"${c}" has no tokens this model's tokenizer knows`);
  const templates = lines(r.target_prompts);
  const targetPrompts = templates.length ? templates.flatMap((t) => (t.includes('{}') ? concepts.map((c) => t.replaceAll('{}', c)) : [t])) : concepts;
  for (const p of targetPrompts) {
    try {
      checkPrompt(p);
    } catch (e) {
      throw new InputError('target_prompts', (e as Error).message);
    }
  }
  const mode = r.mode ?? ERASE_DEFAULTS.mode;
  if (!ERASE_MODES.includes(mode)) throw new InputError('mode', `must be one of ${ERASE_MODES.join(', ')}, got ${String(mode)}`);
  const layers = r.layers ?? ERASE_DEFAULTS.layers;
  if (!ADAPTER_SCOPES.includes(layers)) throw new InputError('layers', `must be one of ${ADAPTER_SCOPES.join(', ')}, got ${String(layers)}`);
  const lo = number('anchor_similarity_min', r.anchor_similarity_min, ERASE_DEFAULTS.anchor_similarity_min, 0, 1);
  const hi = number('anchor_similarity_max', r.anchor_similarity_max, ERASE_DEFAULTS.anchor_similarity_max, 0, 1);
  if (lo > hi) throw new InputError('anchor_similarity_min', `(${lo}) is above anchor_similarity_max (${hi})`);
  const resolution = number('resolution', r.resolution, nativeResolution, model.sizeMultiple, 4096, true);
  if (resolution % model.sizeMultiple !== 0) throw new InputError('resolution', `must be a multiple of ${model.sizeMultiple}, got ${resolution}`);
  return {
    concepts,
    targetPrompts,
    surrogate: r.surrogate_prompt ?? '',
    eta: number('eta', r.eta, ERASE_DEFAULTS.eta, 0, 10),
    anchorWeight: number('anchor_weight', r.anchor_weight, ERASE_DEFAULTS.anchor_weight, 0, 1e4),
    anchorCount: number('anchor_count', r.anchor_count, ERASE_DEFAULTS.anchor_count, 1, 64, true),
    anchorBand: [lo, hi],
    anchorPrompts: lines(r.anchor_prompts),
    mode,
    layers,
    rank: number('rank', r.rank, ERASE_DEFAULTS.rank, 1, 64, true),
    steps: number('steps', r.steps, ERASE_DEFAULTS.steps, 1, 100000, true),
    batchSize: number('batch_size', r.batch_size, ERASE_DEFAULTS.batch_size, 1, 64, true),
    lr: number('learning_rate', r.learning_rate, ERASE_DEFAULTS.learning_rate, 1e-8, 1),
    weightDecay: 0,
    maxGradNorm: 1,
    seed: number('seed', r.seed, ERASE_DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER, true),
    resolution,
    trajectorySteps: ERASE_DEFAULTS.trajectory_steps,
    trajectoryPool: ERASE_DEFAULTS.trajectory_pool,
    trajectoryGuidance: ERASE_DEFAULTS.trajectory_guidance,
    checkpointEvery: number('checkpoint_every', r.checkpoint_every, ERASE_DEFAULTS.checkpoint_every, 0, 100000, true),
  };
}
