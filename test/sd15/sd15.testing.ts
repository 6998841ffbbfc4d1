// Test helpers for the SD 1.5-architecture fixtures (test/fixtures/sd15-tiny/, written by
// research/fixtures/sd15/generate.py; see its README): a models folder that links them, a node
// context over it, and the float64 reference.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage } from '../../server/storage.ts';
import type { NodeContext, Storage } from '../../nodes/define.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/sd15-tiny', import.meta.url));
/** Model folders: optimum's classic export at opsets 14 (its default) and 17, the opset-17
 *  export raised to 18, and --fp16 (opset 14). */
export const VARIANTS = ['opset14', 'opset17', 'opset18', 'fp16'] as const;
export type Variant = (typeof VARIANTS)[number];
/** The float32 variants (the float64 reference's weights exactly). */
export const FLOAT32_VARIANTS = ['opset14', 'opset17', 'opset18'] as const;

/** A temporary models folder linking the fixtures (read-only: nothing is written into them). */
export function fixtureStorage(names: readonly string[] = VARIANTS): { storage: Storage; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'svdiff-sd15-'));
  mkdirSync(join(root, 'models'));
  for (const n of names) symlinkSync(join(FIXTURES, n), join(root, 'models', n), 'dir');
  const storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
  return { storage, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Adds `optimum-current` to the storage's models folder: opset14/ with the UNet and VAE encoder
 * of optimum's current export (float timestep of rank 0, latent_parameters) laid over it.
 */
export function addOptimumCurrent(storage: Storage): string {
  const dir = join(storage.modelsDir, 'optimum-current');
  cpSync(join(FIXTURES, 'opset14'), dir, { recursive: true });
  for (const part of ['unet', 'vae_encoder']) cpSync(join(FIXTURES, 'optimum-current', part), join(dir, part), { recursive: true });
  return 'optimum-current';
}

export function nodeContext(storage: Storage, log: string[] = []): NodeContext {
  return {
    promptId: 'p', nodeId: '1', signal: new AbortController().signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {},
    previews: false, progress: () => {}, log: (m) => void log.push(m),
  };
}

export interface Tensor64 {
  dims: number[];
  data: number[];
}

export interface Reference {
  inputs: { sample: Tensor64; timestep: Tensor64; encoder_hidden_states: Tensor64; target: Tensor64 };
  out_sample: Tensor64;
  loss: number;
  /** Torch parameter name → gradient in torch's layout, and where the opset-14 export keeps it. */
  gradients: Record<string, { initializer: string; layout: 'same' | 'transposed' | 'reshaped'; shape: number[]; data: number[] }>;
  text_encoder: { input_ids: number[]; last_hidden_state: Tensor64; pooler_output: Tensor64 };
  vae_decoder: { latent_sample: Tensor64; sample: Tensor64 };
  vae_encoder: { sample: Tensor64; latent_parameters: Tensor64 };
}

let cached: Reference | undefined;
export function reference(): Reference {
  cached ??= JSON.parse(readFileSync(join(FIXTURES, 'reference', 'unet-float64.json'), 'utf8')) as Reference;
  return cached;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}
