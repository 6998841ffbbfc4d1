// A part's declared inputs and outputs, read from its .onnx graph without touching external
// weight files (large tensors stay as references), checked against what the pipeline needs:
// its opset, that every external weight file is there, inside the part's folder and long enough,
// and its I/O names and ranks. A part that fails is refused at Load Model, before any session.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { allTensors, bytesPerElement, DATA_LOCATION_EXTERNAL, decodeModelProto, numel, type GraphProto, type ModelProto, type TensorProto, type ValueInfoProto } from '../../onnx/index.ts';
import { checkPartIo, ModelLayoutError, OPSETS, REEXPORT_HINT, type PartName } from './layout.ts';

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
  /** The graph's default-domain (ai.onnx) opset; undefined when it imports none. */
  opset: number | undefined;
  /** Ops from other domains (`com.microsoft.MultiHeadAttention` in ORT-optimized exports), sorted; ORT runs them, autodiff has no rules for them. */
  foreignOps: string[];
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
    // The graph as written (external locations as the exporter wrote them), weights not read.
    model = decodeModelProto(readFileSync(file));
  } catch (e) {
    throw new ModelLayoutError(`${part}/model.onnx cannot be read as an ONNX model: ${(e as Error).message}`);
  }
  const opset = checkOpset(part, model);
  checkExternalData(part, model, dirname(file));
  const io = graphIo(model);
  const rank = (v: DeclaredValue) => v.dims?.length;
  const names = checkPartIo(
    part,
    io.inputs.map((v) => ({ name: v.name, rank: rank(v) })),
    io.outputs.map((v) => ({ name: v.name, rank: rank(v) })),
  );
  return { ...io, inputNames: names.inputs, outputNames: names.outputs, opset, foreignOps: foreignOps(model) };
}

const isDefaultDomain = (d: string | undefined) => !d || d === 'ai.onnx';

/** The default-domain opset, refused outside what ONNX Runtime runs (OPSETS). */
function checkOpset(part: PartName, model: ModelProto): number | undefined {
  const imp = (model.opsetImport ?? []).find((o) => isDefaultDomain(o.domain));
  if (imp?.version === undefined) return undefined;
  const v = Number(imp.version);
  if (v < OPSETS.min) throw new ModelLayoutError(`${part}: model.onnx is at opset ${v}, older than ONNX Runtime runs (${OPSETS.min}–${OPSETS.max}); ${REEXPORT_HINT}`);
  if (v > OPSETS.max) throw new ModelLayoutError(`${part}: model.onnx is at opset ${v}, newer than this ONNX Runtime runs (${OPSETS.min}–${OPSETS.max}); ${REEXPORT_HINT}`);
  return v;
}

function foreignOps(model: ModelProto): string[] {
  const out = new Set<string>();
  const walk = (g: GraphProto | undefined) => {
    for (const n of g?.node ?? []) {
      if (!isDefaultDomain(n.domain)) out.add(`${n.domain}.${n.opType}`);
      for (const a of n.attribute ?? []) {
        walk(a.g);
        for (const sg of a.graphs ?? []) walk(sg);
      }
    }
  };
  walk(model.graph);
  return [...out].sort();
}

/** Bytes a tensor's external data must hold: its `length`, else what its dims and type take. */
function expectedLength(t: TensorProto, length: string | undefined): number {
  if (length !== undefined) return Number(length);
  try {
    return numel((t.dims ?? []).map(Number)) * bytesPerElement(t.dataType ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Every external tensor's file (optimum's `model.onnx_data`, or torch's one file per tensor) must
 * lie in the part's folder, exist, and reach past the tensor's offset + length.
 */
function checkExternalData(part: PartName, model: ModelProto, dir: string): void {
  const files = new Map<string, { tensors: number; bytes: number; end: number }>();
  for (const t of allTensors(model)) {
    if (t.dataLocation !== DATA_LOCATION_EXTERNAL) continue;
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location');
    if (!location) throw new ModelLayoutError(`${part}: tensor ${t.name} is stored outside model.onnx but names no file; re-export the model`);
    const rel = normalize(location);
    const absolute = isAbsolute(location) || isAbsolute(rel);
    if (absolute || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith('../')) {
      // A graph must not make the studio read files elsewhere (and the folder must be movable).
      throw new ModelLayoutError(`${part}: tensor ${t.name} keeps its weights ${absolute ? 'at an absolute path' : `outside ${part}/`} (${location}); the studio reads a part's weights only from its own folder: ` +
        `put the file beside ${part}/model.onnx and re-export, or re-save the graph with a plain file name as the location (onnx.save(…, save_as_external_data=True, location="model.onnx_data"))`);
    }
    const length = expectedLength(t, kv.get('length'));
    const f = files.get(rel) ?? { tensors: 0, bytes: 0, end: 0 };
    f.tensors++;
    f.bytes += length;
    f.end = Math.max(f.end, Number(kv.get('offset') ?? 0) + length);
    files.set(rel, f);
  }
  const missing: string[] = [];
  let missingTensors = 0;
  let missingBytes = 0;
  for (const [rel, f] of files) {
    let size: number;
    try {
      const st = statSync(join(dir, rel));
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      missing.push(rel);
      missingTensors += f.tensors;
      missingBytes += f.bytes;
      continue;
    }
    if (size < f.end) {
      throw new ModelLayoutError(`${part}: ${rel} is truncated: expected at least ${f.end} bytes, has ${size} (${f.tensors} tensors, ${formatBytes(f.bytes)}, are kept there); copy it again beside ${part}/model.onnx`);
    }
  }
  if (missing.length === 1) {
    throw new ModelLayoutError(`${part}: ${missing[0]} is missing (the graph keeps ${plural(missingTensors, 'tensor')}, ${formatBytes(missingBytes)}, there); copy it beside ${part}/model.onnx`);
  }
  if (missing.length > 1) {
    const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
    throw new ModelLayoutError(`${part}: ${missing.length} of its external data files are missing (${shown}; the graph keeps ${plural(missingTensors, 'tensor')}, ${formatBytes(missingBytes)}, in them); copy them beside ${part}/model.onnx`);
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Decimal units, as file managers and model cards give sizes (SD 1.5's fp32 UNet: 3.4 GB). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function findValue(values: readonly DeclaredValue[], name: string): DeclaredValue {
  const v = values.find((x) => x.name === name);
  if (!v) throw new Error(`no value named ${name}`);
  return v;
}
