// A small typed builder for ONNX graphs: inputs, initializers from typed arrays, nodes with
// attributes, unique names, and a ModelProto out. Also used by the autodiff to emit nodes.
import { AttributeType, DATA_LOCATION_EXTERNAL, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.ts';
import { makeTensor, onnxDataType, type DType, type TypedArray } from './tensor.ts';

/** Forces a float attribute where a number would otherwise be written as INT. */
export class FloatAttr { constructor(readonly value: number | number[]) {} }
export const float = (v: number | number[]): FloatAttr => new FloatAttr(v);
/** A GRAPH attribute (the body of Scan / Loop / If). */
export class GraphAttr { constructor(readonly graph: GraphProto) {} }

export type AttrValue = number | number[] | string | string[] | FloatAttr | GraphAttr | TensorProto | bigint;
export type Attrs = Record<string, AttrValue | undefined>;

// Attributes that are FLOAT/FLOATS in the ONNX spec even when written as whole numbers.
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'gamma', 'lambd', 'bias', 'cubic_coeff_a',
  'extrapolation_value', 'ratio', 'seed', 'scale', 'mean', 'high', 'low', 'value_float', 'value_floats',
  'momentum', 'spatial_scale', 'scales']);

export function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if (v instanceof FloatAttr) {
    return Array.isArray(v.value) ? { name, type: AttributeType.FLOATS, floats: v.value } : { name, type: AttributeType.FLOAT, f: v.value };
  }
  if (v instanceof GraphAttr) return { name, type: AttributeType.GRAPH, g: v.graph };
  if (typeof v === 'bigint') return { name, type: AttributeType.INT, i: Number(v) };
  if (typeof v === 'number') {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v) ? { name, type: AttributeType.FLOAT, f: v } : { name, type: AttributeType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: AttributeType.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x)) ? { name, type: AttributeType.FLOATS, floats: nums } : { name, type: AttributeType.INTS, ints: nums };
  }
  return { name, type: AttributeType.TENSOR, t: v };
}

export function makeValueInfo(name: string, dtype: DType | number, shape?: readonly (number | string | null)[]): ValueInfoProto {
  const elemType = typeof dtype === 'number' ? dtype : onnxDataType(dtype);
  return {
    name,
    type: { tensorType: { elemType, ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' && d >= 0 ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) } } : {}) } },
  };
}

export interface BuilderOptions { name?: string; opset?: number; producer?: string }
export const DEFAULT_OPSET = 18;

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly opset: number;
  private readonly names: Set<string>;
  private counter = 0;

  constructor(private readonly opts: BuilderOptions = {}, names?: Set<string>) {
    this.opset = opts.opset ?? DEFAULT_OPSET;
    this.names = names ?? new Set();
  }

  /**
   * A builder for a subgraph (a Scan / Loop body) that draws names from this builder's pool:
   * ONNX wants every name unique across a graph and its subgraphs.
   */
  subgraph(name: string): GraphBuilder { return new GraphBuilder({ opset: this.opset, name }, this.names); }

  /** Marks names as taken (e.g. every tensor of an existing graph being extended). */
  reserve(names: Iterable<string>): void { for (const n of names) this.names.add(n); }

  /** A fresh name: `base` itself if free, else `base_1`, `base_2`, … */
  unique(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly (number | string | null)[]): string {
    this.inputs.push(makeValueInfo(this.claim(name), dtype, shape));
    return name;
  }
  /** An input with a generated unique name (`base`, `base_1`, …). */
  freshInput(base: string, dtype: DType, shape: readonly (number | string | null)[]): string {
    const name = this.unique(base);
    this.inputs.push(makeValueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output (the tensor must be produced by a node, input or initializer). */
  output(name: string, dtype: DType = 'float32', shape?: readonly (number | string | null)[]): string {
    this.outputs.push(makeValueInfo(name, dtype, shape));
    return name;
  }

  initializer(name: string, data: TypedArray | number[], dims: readonly number[], dtype?: DType): string {
    this.initializers.push(makeTensor(this.claim(name), data, dims, dtype));
    return name;
  }

  /** An initializer with a generated unique name. */
  constant(data: TypedArray | number[], dims: readonly number[], dtype?: DType, base = 'const'): string {
    const name = this.unique(base);
    this.initializers.push(makeTensor(name, data, dims, dtype));
    return name;
  }
  /**
   * An initializer whose bytes stay in a file (ONNX external data, absolute location): the graph
   * holds no copy; a session reads them (createSession copies them into its own files when the
   * model is too big for one protobuf).
   */
  externalConstant(ref: { file: string; offset: number; length: number }, dims: readonly number[], dtype: DType = 'float32', base = 'const'): string {
    const name = this.unique(base);
    this.initializers.push({
      name, dims: [...dims], dataType: onnxDataType(dtype), dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [{ key: 'location', value: ref.file }, { key: 'offset', value: String(ref.offset) }, { key: 'length', value: String(ref.length) }],
    });
    return name;
  }
  /** Scalar-or-vector int64 constant (axes, shapes, starts...). */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(values.map((v) => v), dims, 'int64', 'ints');
  }
  scalar(value: number, dtype: DType = 'float32'): string { return this.constant([value], [], dtype, 'scalar'); }

  /** Adds a node; returns its output names. `outputs` is a count or explicit names. */
  nodeMulti(opType: string, inputs: readonly string[], attrs: Attrs = {}, opts: { outputs?: number | string[]; name?: string; domain?: string } = {}): string[] {
    const name = this.unique(opts.name ?? opType);
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs.map((o) => (o === '' ? '' : this.claim(o)))
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.unique(`${name}_out${i}`));
    const attribute = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => makeAttribute(k, v!));
    this.nodes.push({ name, opType, input: [...inputs], output: outs, ...(attribute.length ? { attribute } : {}), ...(opts.domain ? { domain: opts.domain } : {}) });
    return outs;
  }
  node(opType: string, inputs: readonly string[], attrs: Attrs = {}, opts: { output?: string; name?: string; domain?: string } = {}): string {
    return this.nodeMulti(opType, inputs, attrs, { name: opts.name, domain: opts.domain, outputs: opts.output ? [opts.output] : 1 })[0];
  }

  toModel(): ModelProto {
    return {
      irVersion: this.opset >= 21 ? 10 : this.opset >= 19 ? 9 : 8,
      producerName: this.opts.producer ?? 'svdiff-studio',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: { name: this.opts.name ?? 'graph', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
  }
}
