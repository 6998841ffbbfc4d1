// One training request end to end, as the SpectralShiftTrain node and the eval script run
// it: validate → class images (cached) → run key and checkpoint folder → train → SHIFTS.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Storage } from '../../core/index.ts';
import { batchFrames, type RgbImage } from '../../image/index.ts';
import { makeShifts, META_PARTIAL, META_TRAINING, saveShiftFile, type SpectralShifts, type SvdValue } from '../../spectral/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { decodeLatent, sampleLatents } from '../pipeline/index.ts';
import { randn } from '../rng.ts';
import { CLASS_IMAGE_DEFAULTS, ensureClassImages, type ClassImageSpec } from './class-images.ts';
import { CheckpointStore, runKey } from './checkpoint.ts';
import { InputError } from '../../core/index.ts';
import { TrainGraphCache } from './graph-cache.ts';
import { trainShifts, type TrainResult } from './loop.ts';
import type { PreserveSet } from './batch.ts';
import type { StepReport, TrainSettings } from './types.ts';
import { validateTraining, type TrainRequest } from './validate.ts';

export interface RunOptions {
  model: LoadedModel;
  svd: SvdValue;
  request: TrainRequest;
  resume?: SpectralShifts;
  storage: Storage;
  signal?: AbortSignal;
  log?: (message: string) => void;
  onStep?: (r: StepReport) => void;
  /** Class-image generation progress. */
  onClassImages?: (done: number, total: number) => void;
  /** Save checkpoints (default true when checkpoint_every > 0). */
  checkpoints?: boolean;
  /** Name prefix of the file partial shifts are saved to (the caller's name, e.g. its node type). */
  autosavePrefix?: string;
}

export interface RunOutput {
  shifts: SpectralShifts;
  result: TrainResult;
  settings: TrainSettings;
  runKey: string;
  /** Where partial shifts were saved (interrupt or NaN). */
  partialFile?: string;
  /** The prior images the run trained with (per subject; preservation sets). */
  classImages: RgbImage[][];
  preserve: PreserveSet[];
}

/** The model's native training resolution: VAE sample_size, else UNet sample_size × factor. */
export function nativeResolution(model: LoadedModel): number | undefined {
  const vae = model.config.vae?.sample_size;
  if (typeof vae === 'number' && vae > 0) return vae;
  const unet = model.config.unet?.sample_size;
  if (typeof unet === 'number' && unet > 0) return unet * model.downscale;
  return undefined;
}

/** Generates class images for seeds, each from its own seeded x_T (so image i depends on seed i only). */
function classGenerator(model: LoadedModel, prompt: string, res: number, signal?: AbortSignal) {
  return async (seeds: number[]): Promise<RgbImage[]> => {
    const [C, h, w] = [model.latentChannels, res / model.downscale, res / model.downscale];
    const samples = new Float32Array(seeds.length * C * h * w);
    seeds.forEach((s, i) => samples.set(randn(s, [1, C, h, w]), i * C * h * w));
    const z = await sampleLatents(model, {
      prompt, negativePrompt: '', steps: CLASS_IMAGE_DEFAULTS.steps, guidance: CLASS_IMAGE_DEFAULTS.guidance,
      seed: seeds[0], latent: { samples, shape: [seeds.length, C, h, w] }, signal,
    });
    return batchFrames(await decodeLatent(model, z)).map((f) => ({ width: f.width, height: f.height, data: f.data.slice() }));
  };
}

function digestImages(images: RgbImage[]): string {
  const h = createHash('sha256');
  for (const im of images) h.update(`${im.width}x${im.height}`).update(new Uint8Array(im.data.buffer, im.data.byteOffset, im.data.byteLength));
  return h.digest('hex');
}

function digestShifts(s: SpectralShifts | undefined): string | null {
  if (!s) return null;
  const h = createHash('sha256');
  for (const k of [...s.deltas.keys()].sort()) {
    const d = s.deltas.get(k)!;
    h.update(k).update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.digest('hex');
}

export async function runTraining(o: RunOptions): Promise<RunOutput> {
  const { model, svd, storage } = o;
  const log = o.log ?? (() => {});
  const { settings, notes } = validateTraining(o.request, model.sizeMultiple);
  for (const n of notes) log(n);
  if (o.resume && o.resume.modelHash !== model.contentHash) {
    throw new InputError('resume_shifts', `were trained for model ${o.resume.modelHash.slice(0, 12)}, not ${model.name} (${model.contentHash.slice(0, 12)})`);
  }

  const classImages: RgbImage[][] = settings.subjects.map(() => []);
  const preserve: PreserveSet[] = [];
  if (settings.priorWeight > 0) {
    // numClassImages per subject, and as many again spread over the preservation prompts (at least one each).
    const nPreserve = settings.preservePrompts.length;
    const perPreserve = nPreserve ? Math.ceil(settings.numClassImages / nPreserve) : 0;
    const total = settings.subjects.length * settings.numClassImages + nPreserve * perPreserve;
    let before = 0;
    const generate = async (prompt: string, count: number, what: string): Promise<RgbImage[]> => {
      const spec: ClassImageSpec = { modelHash: model.contentHash, prompt, resolution: settings.resolution, ...CLASS_IMAGE_DEFAULTS };
      const r = await ensureClassImages(storage.cacheDir, spec, count, classGenerator(model, prompt, settings.resolution, o.signal), {
        writeAtomic: storage.writeFileAtomic,
        signal: o.signal,
        onProgress: (d) => o.onClassImages?.(before + d, total),
      });
      before += count;
      log(`${what} for "${prompt}": ${r.generated} generated, ${count - r.generated} from the cache (${r.dir})`);
      return r.images;
    };
    for (const [i, sub] of settings.subjects.entries()) classImages[i] = await generate(sub.classPrompt, settings.numClassImages, 'class images');
    for (const prompt of settings.preservePrompts) preserve.push({ prompt, images: await generate(prompt, perPreserve, 'preservation images') });
  }

  const { steps: _steps, checkpointEvery: _every, subjects, ...rest } = settings;
  const key = runKey({
    v: 1,
    model: model.contentHash,
    svd: svd.selectionHash,
    subjects: subjects.map((s) => ({ ...s, images: digestImages(s.images) })),
    settings: rest,
    resume: digestShifts(o.resume),
  });
  const useCheckpoints = o.checkpoints ?? settings.checkpointEvery > 0;
  const store = useCheckpoints ? new CheckpointStore(join(storage.dataDir, 'checkpoints', key), storage.writeFileAtomic) : undefined;

  const graphCache = new TrainGraphCache(join(storage.cacheDir, 'train-graphs'));
  const result = await trainShifts({ model, svd, settings, classImages, preserve, initial: o.resume?.deltas, checkpoints: store, graphCache, signal: o.signal, onStep: o.onStep, log });
  const metadata: Record<string, string> = {
    ...(o.resume?.metadata ?? {}),
    [META_TRAINING]: JSON.stringify({
      ...rest,
      steps: settings.steps,
      steps_done: result.stepsDone,
      subjects: subjects.map((s) => ({ prompt: s.prompt, class_prompt: s.classPrompt, identifier: s.identifier, images: s.images.length })),
      run_key: key,
    }),
  };
  delete metadata[META_PARTIAL];
  if (result.partial) {
    metadata[META_PARTIAL] = 'true';
    metadata.svdiff_stop_reason = result.stopped!.message;
  }
  const shifts = makeShifts(model.contentHash, result.deltas, metadata);
  let partialFile: string | undefined;
  if (result.partial) {
    partialFile = join(storage.shiftsDir, 'autosave', `${o.autosavePrefix ?? 'shifts'}_${key}_partial.safetensors`);
    await saveShiftFile(partialFile, shifts, storage.writeFileAtomic);
    log(`${result.stopped!.message}: returning the shifts so far (marked partial), also saved to ${partialFile}`);
  }
  return { shifts, result, settings, runKey: key, partialFile, classImages, preserve };
}
