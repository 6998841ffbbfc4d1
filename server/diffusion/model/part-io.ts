// A part's declared inputs and outputs, read from its .onnx graph without touching external
// weight files (large tensors stay as references), checked against what the pipeline needs.
import { loadModel, type ModelProto, type ValueInfoProto } from '../../onnx/index.ts';
import { checkPartIo, ModelLayoutError, type PartName } from './layout.ts';

export interface DeclaredValue {
  name: string;
  /** ONNX element type (1 float32, 10 float16, 7 int64, 6 int32). */
  elemType: number;
  /** Static size per axis, or null where the axis is symbolic / unknown. */
  dims: (number | null)[] | undefined;
}

export interface PartIo {
  inputs: DeclaredValue[];
  outputs: DeclaredValue[];
  /** Resolved names in PART_IO order (e.g. latent_sample or latent_parameters). */
  inputNames: string[];
  outputNames: string[];
}

function declared(v: ValueInfoProto): DeclaredValue {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim?.map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? Number(d.dimValue) : null));
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
}

export function graphIo(model: ModelProto): { inputs: DeclaredValue[]; outputs: DeclaredValue[] } {
  const g = model.graph ?? {};
  // Old exporters list initializers among the inputs; they are not fed.
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name)).map(declared),
    outputs: (g.output ?? []).map(declared),
  };
}

/** Reads and checks one part; errors name the part and the file. */
export function readPartIo(part: PartName, file: string): PartIo {
  let model: ModelProto;
  try {
    model = loadModel(file, { externalData: 'lazy' });
  } catch (e) {
    throw new ModelLayoutError(`${part}/model.onnx cannot be read as an ONNX model: ${(e as Error).message}`);
  }
  const io = graphIo(model);
  const rank = (v: DeclaredValue) => v.dims?.length;
  const names = checkPartIo(
    part,
    io.inputs.map((v) => ({ name: v.name, rank: rank(v) })),
    io.outputs.map((v) => ({ name: v.name, rank: rank(v) })),
  );
  return { ...io, inputNames: names.inputs, outputNames: names.outputs };
}

export function findValue(values: readonly DeclaredValue[], name: string): DeclaredValue {
  const v = values.find((x) => x.name === name);
  if (!v) throw new Error(`no value named ${name}`);
  return v;
}
