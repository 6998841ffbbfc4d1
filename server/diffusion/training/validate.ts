// Checks a training request before any model work, so a bad input fails in milliseconds with
// a message naming the input: no images, images of other sizes (resized, with a note), an
// identifier missing from its prompt, λ > 0 without a class prompt, bad numbers.
import type { ImageBatch } from '../../core/index.ts';
import { batchFrames, resizeCover, type RgbImage } from '../../image/index.ts';
import { MAX_MIX_SUBJECTS } from './cut-mix.ts';
import { InputError } from '../../core/index.ts';
import { PRIOR_TARGETS, TRAINED_PARTS, type PriorTarget, type Subject, type TrainSettings, type TrainedParts } from './types.ts';

export interface SubjectRequest {
  images: ImageBatch | undefined;
  prompt: string;
  classPrompt: string;
  identifier: string;
  /** Suffix of this subject's input names ('' for the first, '_2', '_3', …). */
  suffix: string;
}

export type TrainRequest = Omit<TrainSettings, 'subjects' | 'parts' | 'preservePrompts' | 'priorTarget'> & { subjects: SubjectRequest[]; parts: string; preservePrompts?: string[]; priorTarget?: string };

/** Each preservation prompt costs base-model samples before training starts. */
export const MAX_PRESERVE_PROMPTS = 64;

export interface Validated {
  settings: TrainSettings;
  /** Things done to the inputs the user should know about (resizing). */
  notes: string[];
}

/** Whole-word, case-insensitive test (identifiers are words: "sks", "xvg"). */
export function hasWord(text: string, word: string): boolean {
  const esc = word.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${esc}($|[^\\p{L}\\p{N}_])`, 'iu').test(text);
}

function checkNumber(input: string, v: number, lo: number, hi: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new InputError(input, `must be ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}, got ${v}`);
  }
}

/** `sizeMultiple`: image sides the model takes are multiples of it (LoadedModel.sizeMultiple). */
export function validateTraining(req: TrainRequest, sizeMultiple: number): Validated {
  const notes: string[] = [];
  checkNumber('resolution', req.resolution, sizeMultiple, 4096, true);
  if (req.resolution % sizeMultiple !== 0) throw new InputError('resolution', `must be a multiple of ${sizeMultiple} for this model, got ${req.resolution}`);
  checkNumber('steps', req.steps, 1, 1_000_000, true);
  checkNumber('batch_size', req.batchSize, 1, 64, true);
  checkNumber('learning_rate', req.lr, 0, 1);
  checkNumber('learning_rate_1d', req.lr1d, 0, 1);
  checkNumber('learning_rate_text_encoder', req.lrTextEncoder, 0, 1);
  checkNumber('weight_decay', req.weightDecay, 0, 1);
  checkNumber('max_grad_norm', req.maxGradNorm, 0, 1e6);
  checkNumber('prior_weight', req.priorWeight, 0, 100);
  checkNumber('seed', req.seed, 0, Number.MAX_SAFE_INTEGER, true);
  checkNumber('mix_probability', req.mixProbability, 0, 1);
  checkNumber('unmix_weight', req.unmixWeight, 0, 100);
  checkNumber('checkpoint_every', req.checkpointEvery, 0, 1_000_000, true);
  if (!(TRAINED_PARTS as readonly string[]).includes(req.parts)) throw new InputError('train_parts', `must be one of ${TRAINED_PARTS.join(', ')}, got "${req.parts}"`);
  const priorTarget = req.priorTarget ?? 'noise';
  if (!(PRIOR_TARGETS as readonly string[]).includes(priorTarget)) throw new InputError('prior_target', `must be one of ${PRIOR_TARGETS.join(', ')}, got "${priorTarget}"`);
  if (req.priorWeight > 0) checkNumber('num_class_images', req.numClassImages, 1, 10_000, true);
  const preservePrompts = (req.preservePrompts ?? []).map((p) => p.trim()).filter((p) => p !== '');
  if (preservePrompts.length > MAX_PRESERVE_PROMPTS) throw new InputError('preserve_prompts', `has ${preservePrompts.length} prompts; at most ${MAX_PRESERVE_PROMPTS}`);
  if (preservePrompts.length > 0 && req.priorWeight <= 0) throw new InputError('preserve_prompts', 'needs prior_weight > 0: its images join the prior-preservation loss');

  const present = req.subjects.filter((s, i) => i === 0 || s.images !== undefined || s.prompt.trim() !== '');
  if (present.length > MAX_MIX_SUBJECTS) throw new InputError(`images${present[MAX_MIX_SUBJECTS].suffix}`, `at most ${MAX_MIX_SUBJECTS} subjects can be trained together`);
  const subjects: Subject[] = present.map((s) => validateSubject(s, req, notes));
  if (subjects.length > 1) {
    const seen = new Map<string, string>();
    for (const [i, s] of subjects.entries()) {
      const suffix = present[i].suffix;
      if (!s.identifier) throw new InputError(`identifier${suffix}`, 'is empty: with several subjects each needs its own identifier (e.g. "sks", "xvg") so prompts can tell them apart');
      const key = s.identifier.toLowerCase();
      if (seen.has(key)) throw new InputError(`identifier${suffix}`, `"${s.identifier}" is already the identifier of the subject with input identifier${seen.get(key)}`);
      seen.set(key, suffix);
    }
  }
  const { subjects: _s, parts, ...rest } = req;
  return { settings: { ...rest, parts: parts as TrainedParts, subjects, preservePrompts, priorTarget: priorTarget as PriorTarget }, notes };
}

function validateSubject(s: SubjectRequest, req: TrainRequest, notes: string[]): Subject {
  const n = (name: string) => `${name}${s.suffix}`;
  const images = s.images;
  if (!images || !images.shape || images.shape[0] < 1 || !(images.data instanceof Float32Array) || images.data.length === 0) {
    throw new InputError(n('images'), 'has no images: connect a Load Image(s) node with at least one picture of the subject');
  }
  const [count, H, W, C] = images.shape;
  if (C !== 3 || images.data.length !== count * H * W * C) throw new InputError(n('images'), `is not an RGB IMAGE batch (shape [${images.shape.join(', ')}])`);
  const prompt = s.prompt.trim();
  const classPrompt = s.classPrompt.trim();
  const identifier = s.identifier.trim();
  if (!prompt) throw new InputError(n('instance_prompt'), identifier ? `is empty: describe the subject with its identifier, e.g. "a ${identifier} dog"` : 'is empty: describe the image');
  if (identifier) {
    if (/\s/.test(identifier)) throw new InputError(n('identifier'), `must be one word, got "${identifier}"`);
    if (!hasWord(prompt, identifier)) throw new InputError(n('instance_prompt'), `"${prompt}" does not contain the identifier "${identifier}" (e.g. "a ${identifier} ${classPrompt.replace(/^an? /i, '') || 'dog'}")`);
    if (classPrompt && hasWord(classPrompt, identifier)) throw new InputError(n('class_prompt'), `"${classPrompt}" contains the identifier "${identifier}"; the class prompt names the class without it (e.g. "a dog")`);
  }
  if (req.priorWeight > 0 && !classPrompt) {
    throw new InputError(n('class_prompt'), `is empty, but prior_weight is ${req.priorWeight}: give the class (e.g. "a dog") or set prior_weight to 0`);
  }
  const res = req.resolution;
  const frames: RgbImage[] = batchFrames(images);
  let out = frames;
  if (W !== res || H !== res) {
    out = frames.map((f) => resizeCover(f, res, res, 'area'));
    notes.push(`${n('images')}: ${count} image(s) of ${W}×${H} ${W === H ? 'resized' : 'centre-cropped to a square and resized'} to ${res}×${res}`);
  } else {
    out = frames.map((f) => ({ width: f.width, height: f.height, data: f.data.slice() }));
  }
  for (const [i, f] of out.entries()) {
    for (let k = 0; k < f.data.length; k++) {
      if (!Number.isFinite(f.data[k])) throw new InputError(n('images'), `image ${i} has a non-finite pixel value`);
    }
  }
  return { images: out, prompt, classPrompt, identifier };
}
