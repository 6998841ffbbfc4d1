// Runs one model part with float32 / int32 data whatever the part's declared types: fp16
// models get their float inputs cast to half and their outputs back to float32, the UNet's
// timestep goes in as float32, float16 or int64 (read from the session's input metadata, as
// diffusers' OnnxStableDiffusionPipeline does), one per item or a scalar (optimum's current
// export), token ids as int32 or int64.
import { ort, RUN_RELEASE, type Session } from '../../onnx/index.ts';
import { float32ToHalf, halfToFloat32 } from '../../onnx/float16.ts';
import type { PartName } from './layout.ts';

export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

type TensorType = ort.Tensor.Type;

/**
 * Timesteps as a tensor of the given ORT element type, shaped `dims` (default 1-D, one per value;
 * `[]` for a scalar timestep); undefined for a type a timestep cannot take.
 */
export function timestepsOfType(type: string, ts: readonly number[], dims: readonly number[] = [ts.length]): ort.Tensor | undefined {
  switch (type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(ts), dims);
    case 'float16': return new ort.Tensor('float16', float32ToHalf(Float32Array.from(ts)), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(ts), dims);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(ts, (t) => BigInt(t)), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(ts), dims);
    default: return undefined;
  }
}

export class PartRunner {
  private readonly types = new Map<string, TensorType>();
  private readonly shapes = new Map<string, readonly (number | string)[]>();

  constructor(
    readonly part: PartName,
    readonly session: Session,
    /** Resolved input and output names, in PART_IO order. */
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    /** Hand the CPU arena back after each run unless told to keep it (a big UNet: see partArena). */
    readonly releaseArena = false,
  ) {
    for (const m of session.inputMetadata) {
      if (!m.isTensor) continue;
      this.types.set(m.name, m.type);
      this.shapes.set(m.name, m.shape);
    }
  }

  inputType(name: string): TensorType {
    return this.types.get(name) ?? 'float32';
  }

  /** A float input (latents, embeddings, pixels), cast to the part's element type. */
  floatTensor(name: string, data: Float32Array, dims: readonly number[]): ort.Tensor {
    const type = this.inputType(name);
    if (type === 'float32') return new ort.Tensor('float32', data, dims);
    if (type === 'float16') return new ort.Tensor('float16', float32ToHalf(data), dims);
    if (type === 'float64') return new ort.Tensor('float64', Float64Array.from(data), dims);
    throw new Error(`${this.part}: input ${name} has type ${type}, expected a float type`);
  }

  /** Integer ids (token ids), as int32 or int64. */
  idsTensor(name: string, data: Int32Array, dims: readonly number[]): ort.Tensor {
    const type = this.inputType(name);
    if (type === 'int32') return new ort.Tensor('int32', data, dims);
    if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), dims);
    throw new Error(`${this.part}: input ${name} has type ${type}, expected int32 or int64`);
  }

  /**
   * The UNet timestep, one value repeated `count` times (once when the graph takes one value, as
   * a scalar or on an axis fixed to 1: it broadcasts), in whatever type the model declares.
   */
  timestepTensor(name: string, t: number, batch: number): ort.Tensor {
    const count = this.timestepPerItem(name) ? batch : 1;
    return this.timestepsTensor(name, new Array<number>(count).fill(t));
  }

  /** Whether the timestep input is a scalar (rank 0: optimum's current export). */
  timestepScalar(name: string): boolean {
    return this.shapes.get(name)?.length === 0;
  }

  /** Whether the timestep input takes one value per item (not a scalar, and not an axis fixed to 1). */
  timestepPerItem(name: string): boolean {
    const shape = this.shapes.get(name);
    return !shape || (shape.length > 0 && shape[0] !== 1);
  }

  /**
   * One UNet timestep per item (training batches draw them independently); a model that takes
   * one value gets it when every item has the same timestep.
   */
  timestepsTensor(name: string, ts: readonly number[]): ort.Tensor {
    const type = this.inputType(name);
    const one = !this.timestepPerItem(name);
    if (one && ts.some((t) => t !== ts[0])) throw new Error(`${this.part}: timestep input ${name} takes one value for the batch, not one per item`);
    const values = one ? ts.slice(0, 1) : ts;
    const t = timestepsOfType(type, values, this.timestepScalar(name) ? [] : [values.length]);
    if (!t) throw new Error(`${this.part}: timestep input ${name} has unsupported type ${type}`);
    return t;
  }

  /**
   * Runs the part; returns its first PART_IO output as float32. `quiet`: ORT logs nothing (probes
   * expected to fail). `keepArena`: more runs of this part follow at once (a denoising loop), so a
   * big part keeps its arena's chunks for them instead of handing them back.
   */
  async run(feeds: Record<string, ort.Tensor>, opts: { quiet?: boolean; keepArena?: boolean } = {}): Promise<FloatTensor> {
    const name = this.outputNames[0];
    const runOptions: ort.InferenceSession.RunOptions = {
      ...(opts.quiet ? { logSeverityLevel: 4 } : {}),
      ...(this.releaseArena && !opts.keepArena ? RUN_RELEASE : {}),
    };
    const out = await this.session.run(feeds, [name], runOptions);
    return toFloat(this.part, name, out[name]);
  }
}

export function toFloat(part: string, name: string, t: ort.Tensor): FloatTensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { data: t.data as Float32Array, dims };
  if (t.type === 'float16') return { data: halfToFloat32(t.data as Uint16Array), dims };
  if (t.type === 'float64') return { data: Float32Array.from(t.data as Float64Array), dims };
  throw new Error(`${part}: output ${name} has type ${t.type}, expected a float type`);
}
