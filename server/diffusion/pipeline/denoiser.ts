// The noise prediction of one step: UNet on the latents (doubled for classifier-free
// guidance: [uncond×n, cond×n], diffusers' order), then ε = ε_u + s·(ε_c − ε_u). Text
// embeddings and the session are prepared once per loop; a step allocates only its tensors.
// Rows go to the UNet in chunks (chunks.ts): SD at 512² one row per call.
import type { ort } from '../../onnx/index.ts';
import type { FloatTensor, LoadedModel, PartRunner } from '../model/index.ts';
import { guidanceFromDoubledBatch } from '../guidance.ts';
import { InputError } from '../../core/index.ts';
import { rowsPerCall } from './chunks.ts';
import { partRunner, type PartOverride } from './overrides.ts';
import { encodeText, gatherRows } from './text.ts';

export interface DenoiserOptions {
  prompt: string;
  negativePrompt?: string;
  /** Guidance scale; exactly 1 runs the conditional branch only (one UNet batch, not two). */
  guidance: number;
  batch: number;
  overrides?: readonly PartOverride[];
  /** The input named when the UNet refuses the latent size. Default 'width'. */
  sizeInput?: string;
}

export class Denoiser {
  private readonly embedChunks = new Map<string, ort.Tensor>();

  private constructor(
    readonly unet: PartRunner,
    private readonly embeds: FloatTensor,
    readonly batch: number,
    readonly guidance: number,
    readonly cfg: boolean,
    private readonly sizeInput: string,
  ) {}

  static async create(model: LoadedModel, o: DenoiserOptions): Promise<Denoiser> {
    const cfg = o.guidance !== 1;
    const text = await encodeText(model, cfg ? [o.negativePrompt ?? '', o.prompt] : [o.prompt], o.overrides);
    const order = cfg ? [...Array(o.batch).fill(0), ...Array(o.batch).fill(1)] : Array(o.batch).fill(0);
    const unet = await partRunner(model, 'unet', o.overrides);
    return new Denoiser(unet, gatherRows(text, order), o.batch, o.guidance, cfg, o.sizeInput ?? 'width');
  }

  /**
   * Guided ε for latents [n, C, h, w] at timestep t. `last`: the loop's last step, after which a
   * big UNet hands its arena back (the calls before keep it, so they reuse its chunks).
   */
  async predict(latents: Float32Array, shape: readonly number[], t: number, opts: { last?: boolean } = {}): Promise<Float32Array> {
    const textName = this.unet.inputNames[2];
    const rows = this.cfg ? 2 * this.batch : this.batch;
    let x = latents;
    if (this.cfg) {
      x = new Float32Array(latents.length * 2);
      x.set(latents, 0);
      x.set(latents, latents.length);
    }
    let eps;
    try {
      eps = await unetRows(this.unet, x, [rows, shape[1], shape[2], shape[3]], t, (r0, n) => this.embedRows(textName, r0, n), !opts.last);
    } catch (e) {
      if (e instanceof UnetOutputError) throw e;
      throw new InputError(this.sizeInput, `the model cannot denoise a ${shape[2]}×${shape[3]} latent: ${firstLine((e as Error).message)}`);
    }
    return this.cfg ? guidanceFromDoubledBatch(eps, { scale: this.guidance }) : eps;
  }

  /** Text rows [r0, r0 + n) as the UNet's input (the same few chunks every step, so kept). */
  private embedRows(name: string, r0: number, n: number): ort.Tensor {
    const key = `${r0}:${n}`;
    let t = this.embedChunks.get(key);
    if (!t) {
      const [, L, D] = this.embeds.dims;
      t = this.unet.floatTensor(name, this.embeds.data.subarray(r0 * L * D, (r0 + n) * L * D), [n, L, D]);
      this.embedChunks.set(key, t);
    }
    return t;
  }
}

class UnetOutputError extends Error {}

/**
 * ε of the UNet for rows x [n, C, h, w] at one timestep, in calls of `rowsPerCall` rows;
 * `text(r0, m)` gives the text rows of a call. `keepArena` false: the last call hands a big
 * UNet's arena back. Shared by the guided denoiser and the erasing targets' frozen predictions.
 */
export async function unetRows(unet: PartRunner, x: Float32Array, shape: readonly number[], t: number, text: (r0: number, m: number) => ort.Tensor, keepArena = false): Promise<Float32Array> {
  const [sampleName, tName, textName] = unet.inputNames;
  const [rows, C, h, w] = shape;
  const per = C * h * w;
  const chunk = rowsPerCall(h, w);
  const eps = new Float32Array(rows * per);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    const out = await unet.run({
      [sampleName]: unet.floatTensor(sampleName, x.subarray(r0 * per, (r0 + n) * per), [n, C, h, w]),
      [tName]: unet.timestepTensor(tName, t, n),
      [textName]: text(r0, n),
    }, { keepArena: keepArena || r0 + n < rows });
    if (out.data.length !== n * per) throw new UnetOutputError(`unet: output has ${out.data.length} values, expected ${n * per}`);
    eps.set(out.data, r0 * per);
  }
  return eps;
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}
