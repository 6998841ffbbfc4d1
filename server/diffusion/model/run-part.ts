// Runs one model part with float32 / int32 data whatever the part's declared types: fp16
// models get their float inputs cast to half and their outputs back to float32, the UNet's
// timestep goes in as float32, float16 or int64 (read from the session's input metadata, as
// diffusers' OnnxStableDiffusionPipeline does), token ids as int32 or int64.
import { ort, type Session } from '../../onnx/index.ts';
import { float32ToHalf, halfToFloat32 } from '../../onnx/float16.ts';
import type { PartName } from './layout.ts';

export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

type TensorType = ort.Tensor.Type;

/** Timesteps as a 1-D tensor of the given ORT element type; undefined for a type a timestep cannot take. */
export function timestepsOfType(type: string, ts: readonly number[]): ort.Tensor | undefined {
  const n = ts.length;
  switch (type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(ts), [n]);
    case 'float16': return new ort.Tensor('float16', float32ToHalf(Float32Array.from(ts)), [n]);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(ts), [n]);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(ts, (t) => BigInt(t)), [n]);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(ts), [n]);
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
   * The UNet timestep, one value repeated `count` times (once when the graph fixes the axis to 1,
   * as some exports do: it broadcasts), in whatever type the model declares.
   */
  timestepTensor(name: string, t: number, batch: number): ort.Tensor {
    const count = this.timestepPerItem(name) ? batch : 1;
    return this.timestepsTensor(name, new Array<number>(count).fill(t));
  }

  /** Whether the timestep input takes one value per item (some exports fix its axis to 1). */
  timestepPerItem(name: string): boolean {
    return this.shapes.get(name)?.[0] !== 1;
  }

  /** One UNet timestep per item (training batches draw them independently). */
  timestepsTensor(name: string, ts: readonly number[]): ort.Tensor {
    const type = this.inputType(name);
    if (ts.length > 1 && !this.timestepPerItem(name)) throw new Error(`${this.part}: timestep input ${name} takes one value, not one per item`);
    const t = timestepsOfType(type, ts);
    if (!t) throw new Error(`${this.part}: timestep input ${name} has unsupported type ${type}`);
    return t;
  }

  /** Runs the part; returns its first PART_IO output as float32. `quiet`: ORT logs nothing (probes expected to fail). */
  async run(feeds: Record<string, ort.Tensor>, opts: { quiet?: boolean } = {}): Promise<FloatTensor> {
    const name = this.outputNames[0];
    const out = opts.quiet ? await this.session.run(feeds, [name], { logSeverityLevel: 4 }) : await this.session.run(feeds, [name]);
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
