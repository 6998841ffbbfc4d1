// The noise prediction of one step: UNet on the latents (doubled for classifier-free
// guidance: [uncond×n, cond×n], diffusers' order), then ε = ε_u + s·(ε_c − ε_u). Text
// embeddings and the session are prepared once per loop; a step allocates only its tensors.
import type { ort } from '../../onnx/index.ts';
import type { LoadedModel, PartRunner } from '../model/index.ts';
import { guidanceFromDoubledBatch } from '../guidance.ts';
import { InputError } from '../../core/index.ts';
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
  private constructor(
    readonly unet: PartRunner,
    private readonly embeds: ort.Tensor,
    readonly batch: number,
    readonly guidance: number,
    readonly cfg: boolean,
    private readonly sizeInput: string,
  ) {}

  static async create(model: LoadedModel, o: DenoiserOptions): Promise<Denoiser> {
    const cfg = o.guidance !== 1;
    const text = await encodeText(model, cfg ? [o.negativePrompt ?? '', o.prompt] : [o.prompt], o.overrides);
    const order = cfg ? [...Array(o.batch).fill(0), ...Array(o.batch).fill(1)] : Array(o.batch).fill(0);
    const rows = gatherRows(text, order);
    const unet = await partRunner(model, 'unet', o.overrides);
    const embeds = unet.floatTensor(unet.inputNames[2], rows.data, rows.dims);
    return new Denoiser(unet, embeds, o.batch, o.guidance, cfg, o.sizeInput ?? 'width');
  }

  /** Guided ε for latents [n, C, h, w] at timestep t. */
  async predict(latents: Float32Array, shape: readonly number[], t: number): Promise<Float32Array> {
    const [sampleName, tName, textName] = this.unet.inputNames;
    const rows = this.cfg ? 2 * this.batch : this.batch;
    let x = latents;
    if (this.cfg) {
      x = new Float32Array(latents.length * 2);
      x.set(latents, 0);
      x.set(latents, latents.length);
    }
    let out;
    try {
      out = await this.unet.run({
        [sampleName]: this.unet.floatTensor(sampleName, x, [rows, shape[1], shape[2], shape[3]]),
        [tName]: this.unet.timestepTensor(tName, t, rows),
        [textName]: this.embeds,
      });
    } catch (e) {
      throw new InputError(this.sizeInput, `the model cannot denoise a ${shape[2]}×${shape[3]} latent: ${firstLine((e as Error).message)}`);
    }
    if (out.data.length !== rows * latents.length / this.batch) {
      throw new Error(`unet: output has ${out.data.length} values, expected ${(rows * latents.length) / this.batch}`);
    }
    return this.cfg ? guidanceFromDoubledBatch(out.data, { scale: this.guidance }) : out.data;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}
