// The diffusers ONNX layout (what `optimum-cli export onnx` writes) and what the pipeline
// needs from each part. Checked when a model is loaded, so a broken folder fails at
// Load Model with a message naming the part, not deep inside sampling.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type PartName = 'unet' | 'text_encoder' | 'vae_encoder' | 'vae_decoder';
export const PARTS: readonly PartName[] = ['unet', 'text_encoder', 'vae_encoder', 'vae_decoder'];

/**
 * Default-domain (ai.onnx) opsets a part may import. ONNX Runtime 1.30 runs 7–26 ("Current
 * official support for domain ai.onnx is till opset 26"; below 7 it has no kernels); exporters
 * write 14 (optimum's default) to 17.
 */
export const OPSETS = { min: 7, max: 26 } as const;
/** Training builds its gradient graph at opset 13 or above (autodiff; raiseOpset starts at 13). */
export const TRAINING_MIN_OPSET = 13;
/** What a refusal of a part's opset tells the user to do. */
export const REEXPORT_HINT = "re-export with --opset 14 (optimum's default) or 17";

export interface IoSpec {
  /** Accepted names, first is canonical (exporters differ: optimum's newer VAE encoder emits latent_parameters). */
  names: readonly string[];
  /** Accepted ranks, first is canonical. */
  ranks: readonly number[];
}

/** Inputs/outputs each part must expose; extra optional ones are ignored. */
export const PART_IO: Record<PartName, { inputs: IoSpec[]; outputs: IoSpec[] }> = {
  unet: {
    inputs: [
      { names: ['sample'], ranks: [4] },
      // One timestep per item (optimum 1.x), or one scalar for the whole batch (optimum's current export).
      { names: ['timestep'], ranks: [1, 0] },
      { names: ['encoder_hidden_states'], ranks: [3] },
    ],
    outputs: [{ names: ['out_sample'], ranks: [4] }],
  },
  text_encoder: {
    inputs: [{ names: ['input_ids'], ranks: [2] }],
    outputs: [{ names: ['last_hidden_state'], ranks: [3] }],
  },
  vae_encoder: {
    inputs: [{ names: ['sample'], ranks: [4] }],
    outputs: [{ names: ['latent_sample', 'latent_parameters'], ranks: [4] }],
  },
  vae_decoder: {
    inputs: [{ names: ['latent_sample'], ranks: [4] }],
    outputs: [{ names: ['sample'], ranks: [4] }],
  },
};

export interface ModelLayout {
  dir: string;
  modelIndex: Record<string, unknown>;
  parts: Record<PartName, string>;
  tokenizerDir: string;
  schedulerConfig: Record<string, unknown>;
  /** vae_decoder/config.json's scaling_factor (SD: 0.18215); 1 when absent. */
  vaeScalingFactor: number;
}

export class ModelLayoutError extends Error {
  override name = 'ModelLayoutError';
}

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelLayoutError(`${what} is missing (${path})`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new ModelLayoutError(`${what} is not a JSON object (${path})`);
}

function vaeScaling(dir: string): number {
  for (const part of ['vae_decoder', 'vae_encoder']) {
    const p = join(dir, part, 'config.json');
    if (!existsSync(p)) continue;
    const sf = readJson(p, `${part}/config.json`).scaling_factor;
    if (sf !== undefined) {
      if (typeof sf !== 'number' || !Number.isFinite(sf) || sf <= 0) throw new ModelLayoutError(`${part}/config.json: scaling_factor must be a positive number`);
      return sf;
    }
  }
  return 1;
}

/** Checks every file the pipeline needs is present; each graph (opset, external data, I/O) is checked by part-io.ts. */
export function readLayout(dir: string): ModelLayout {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelLayoutError(`model folder ${dir} does not exist`);
  const modelIndex = readJson(join(dir, 'model_index.json'), 'model_index.json');
  const parts = {} as Record<PartName, string>;
  const missing: string[] = [];
  for (const part of PARTS) {
    const p = join(dir, part, 'model.onnx');
    if (existsSync(p)) parts[part] = p;
    else missing.push(`${part}/model.onnx`);
  }
  const tokenizerDir = join(dir, 'tokenizer');
  if (!existsSync(join(tokenizerDir, 'tokenizer_config.json')) && !existsSync(join(tokenizerDir, 'vocab.json'))) missing.push('tokenizer/');
  if (!existsSync(join(dir, 'scheduler', 'scheduler_config.json'))) missing.push('scheduler/scheduler_config.json');
  if (missing.length) throw new ModelLayoutError(`model ${dir} is missing ${missing.join(', ')}`);
  const schedulerConfig = readJson(join(dir, 'scheduler', 'scheduler_config.json'), 'scheduler/scheduler_config.json');
  return { dir, modelIndex, parts, tokenizerDir, schedulerConfig, vaeScalingFactor: vaeScaling(dir) };
}

export interface ValueInfo {
  name: string;
  rank: number | undefined;
}

/** Matches a part's session I/O against PART_IO; returns the names to use, or throws naming what is wrong. */
export function checkPartIo(part: PartName, inputs: ValueInfo[], outputs: ValueInfo[]): { inputs: string[]; outputs: string[] } {
  const pick = (kind: 'input' | 'output', have: ValueInfo[], want: IoSpec[]) =>
    want.map((spec) => {
      const found = have.find((v) => spec.names.includes(v.name));
      if (!found) throw new ModelLayoutError(`${part}: no ${kind} named ${spec.names.join(' or ')} (has ${have.map((v) => v.name).join(', ') || 'none'})`);
      if (found.rank !== undefined && !spec.ranks.includes(found.rank)) {
        throw new ModelLayoutError(`${part}: ${kind} ${found.name} has rank ${found.rank}, expected ${spec.ranks.join(' or ')}`);
      }
      return found.name;
    });
  return { inputs: pick('input', inputs, PART_IO[part].inputs), outputs: pick('output', outputs, PART_IO[part].outputs) };
}
