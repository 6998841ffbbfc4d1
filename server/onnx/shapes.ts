// Static shapes: run the model once on ONNX Runtime with every intermediate tensor exposed
// as a graph output, for concrete input shapes. Exact for any op ORT can run, and it also
// yields the values of small integer tensors (shape arithmetic, axes, slice bounds).
import ort from 'onnxruntime-node';
import type { ModelProto, ValueInfoProto } from './proto.ts';
import { cloneModelTree } from './io.ts';
import { createSession, type Device } from './session.ts';
import { dtypeOf, isFloatType, numel, tensorToNumbers } from './tensor.ts';
import { makeValueInfo } from './builder.ts';

export interface TensorInfo {
  dims: number[];
  /** ONNX data type (1 = float32, 7 = int64, …). */
  dataType: number;
  /** Values of small integer/bool tensors (≤ 256 elements); absent otherwise. */
  value?: number[];
}
export type ShapeMap = Map<string, TensorInfo>;

export interface ProbeOptions {
  /** Real feeds to use instead of zeros (needed when a shape depends on input values). */
  feeds?: Record<string, ort.Tensor>;
  device?: Device;
  /** Nodes per probe segment (bounds the memory the probe holds). Default 64. */
  segmentNodes?: number;
}

const SMALL = 256;

/** Shapes and dtypes of every tensor in the graph for the given input shapes. */
export async function probeShapes(model: ModelProto, inputShapes: Record<string, readonly number[]>, opts: ProbeOptions = {}): Promise<ShapeMap> {
  const g = model.graph!;
  const result: ShapeMap = new Map();
  const initNames = new Set((g.initializer ?? []).map((t) => t.name!));
  for (const t of g.initializer ?? []) {
    const dt = t.dataType ?? 1;
    const info: TensorInfo = { dims: [...(t.dims ?? [])], dataType: dt };
    if (!isFloatType(dt) && numel(info.dims) <= SMALL && t.dataLocation !== 1) info.value = tensorToNumbers(t);
    result.set(t.name!, info);
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const inp of g.input ?? []) {
    const name = inp.name!;
    if (initNames.has(name)) continue;
    const dataType = inp.type?.tensorType?.elemType ?? 1;
    const given = opts.feeds?.[name];
    const dims = given ? [...given.dims] : inputShapes[name] ? [...inputShapes[name]] : staticDims(inp);
    if (!dims) throw new Error(`probeShapes: input '${name}' has free dimensions; give its shape`);
    feeds[name] = given ?? zeros(dataType, dims);
    const info: TensorInfo = { dims, dataType };
    if (!isFloatType(dataType) && numel(dims) <= SMALL) info.value = Array.from(feeds[name].data as ArrayLike<number | bigint>, Number);
    result.set(name, info);
  }
  await runSegments(model, feeds, result, opts.device ?? 'cpu', opts.segmentNodes ?? 64);
  return result;
}

/** Returns a copy of the model whose inputs, outputs and value_info carry concrete dims
 *  (ORT in Node ignores freeDimensionOverrides, so pinning is done in the graph). */
export function pinShapes(model: ModelProto, shapes: ShapeMap): ModelProto {
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const pin = (v: ValueInfoProto): ValueInfoProto => {
    const s = shapes.get(v.name!);
    return s ? makeValueInfo(v.name!, s.dataType, s.dims) : v;
  };
  g.input = (g.input ?? []).map(pin);
  g.output = (g.output ?? []).map(pin);
  const io = new Set([...(g.input ?? []), ...(g.output ?? [])].map((v) => v.name!));
  const inits = new Set((g.initializer ?? []).map((t) => t.name!));
  g.valueInfo = [];
  for (const [name, s] of shapes) if (!io.has(name) && !inits.has(name)) g.valueInfo.push(makeValueInfo(name, s.dataType, s.dims));
  return out;
}

function staticDims(v: ValueInfoProto): number[] | undefined {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  if (dims.some((d) => d.dimValue === undefined)) return undefined;
  return dims.map((d) => d.dimValue!);
}

export function zeros(dataType: number, dims: readonly number[]): ort.Tensor {
  const n = numel(dims);
  switch (dtypeOf(dataType)) {
    case 'float32': return new ort.Tensor('float32', new Float32Array(n), dims);
    case 'float64': return new ort.Tensor('float64', new Float64Array(n), dims);
    case 'float16': return new ort.Tensor('float16', new Uint16Array(n), dims);
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(n), dims);
    case 'int32': return new ort.Tensor('int32', new Int32Array(n), dims);
    case 'int8': return new ort.Tensor('int8', new Int8Array(n), dims);
    case 'uint8': return new ort.Tensor('uint8', new Uint8Array(n), dims);
    case 'bool': return new ort.Tensor('bool', new Uint8Array(n), dims);
  }
}

export function ortTypeToOnnx(t: string): number {
  const m: Record<string, number> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13 };
  const v = m[t];
  if (v === undefined) throw new Error(`unknown ORT tensor type ${t}`);
  return v;
}

/**
 * Runs the graph in topological segments, each as its own small model whose outputs are all
 * of its tensors. Only values still needed by later segments are kept, so the probe's memory
 * stays close to that of plain inference while every node runs exactly once.
 */
async function runSegments(model: ModelProto, feeds: Record<string, ort.Tensor>, result: ShapeMap, device: Device, size: number): Promise<void> {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const lastUse = new Map<string, number>();
  nodes.forEach((n, k) => { for (const i of n.input ?? []) if (i) lastUse.set(i, k); });
  for (const o of g.output ?? []) lastUse.set(o.name!, nodes.length);
  const live = new Map<string, ort.Tensor>(Object.entries(feeds));
  for (let start = 0; start < nodes.length; start += size) {
    const seg = nodes.slice(start, start + size);
    const produced = new Set(seg.flatMap((n) => n.output ?? []).filter(Boolean));
    const inputs = new Set<string>();
    const segInits = new Set<string>();
    const visitGraphInputs = (names: readonly string[]) => {
      for (const i of names) {
        if (!i || produced.has(i)) continue;
        if (inits.has(i)) segInits.add(i); else inputs.add(i);
      }
    };
    for (const n of seg) {
      visitGraphInputs(n.input ?? []);
      // Subgraph (If/Loop) bodies may capture outer tensors by name.
      for (const a of n.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) for (const sn of sg.node ?? []) visitGraphInputs(sn.input ?? []);
    }
    const segInputs = [...inputs].filter((i) => live.has(i));
    const outs = [...produced];
    const sub: ModelProto = {
      ...model,
      graph: {
        name: `probe_${start}`,
        node: seg,
        initializer: [...segInits].map((n) => inits.get(n)!),
        input: segInputs.map((i) => makeValueInfo(i, ortTypeToOnnx(live.get(i)!.type), [...live.get(i)!.dims])),
        output: outs.map((o) => ({ name: o })),
      },
    };
    const session = await createSession(sub, { device, optimization: 'disabled', cache: false });
    try {
      const out = await session.run(Object.fromEntries(segInputs.map((i) => [i, live.get(i)!])));
      for (const [name, t] of Object.entries(out)) {
        const dataType = ortTypeToOnnx(t.type);
        const info: TensorInfo = { dims: [...t.dims], dataType };
        if (!isFloatType(dataType) && t.size <= SMALL) info.value = Array.from(t.data as ArrayLike<number | bigint>, Number);
        result.set(name, info);
        if ((lastUse.get(name) ?? -1) >= start + size) live.set(name, t);
      }
    } finally {
      await session.release();
    }
    for (const [name] of live) if ((lastUse.get(name) ?? -1) < start + size) live.delete(name);
  }
}
