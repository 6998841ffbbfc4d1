// Model I/O with ONNX external data. The .onnx protobuf never holds big tensors when saved:
// initializers above a threshold go to one side file (`model.onnx_data` by default), each at
// a 4 KiB-aligned offset, so models over 2 GB load and save without a >2 GB protobuf.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_LOCATION_EXTERNAL, decodeModelProto, encodeModelProto, type GraphProto, type ModelProto, type TensorProto } from './proto.ts';

export interface LoadOptions {
  /** 'eager' (default) reads external tensors into memory; 'lazy' keeps references
   *  (location rewritten to an absolute path) that saveModel / sessions read on demand. */
  externalData?: 'eager' | 'lazy';
}

export function loadModel(pathOrBytes: string | Uint8Array, opts: LoadOptions = {}): ModelProto {
  const bytes = typeof pathOrBytes === 'string' ? fs.readFileSync(pathOrBytes) : pathOrBytes;
  const model = decodeModelProto(bytes);
  const baseDir = typeof pathOrBytes === 'string' ? path.dirname(path.resolve(pathOrBytes)) : undefined;
  for (const t of allTensors(model)) {
    if (t.dataLocation !== DATA_LOCATION_EXTERNAL) continue;
    const ref = externalRef(t);
    if (!path.isAbsolute(ref.location)) {
      if (!baseDir) throw new Error(`tensor ${t.name} has external data (${ref.location}) but the model was loaded from bytes`);
      setExternal(t, { ...ref, location: path.join(baseDir, ref.location) });
    }
    if (opts.externalData !== 'lazy') {
      t.rawData = readTensorBytes(t);
      delete t.externalData;
      delete t.dataLocation;
    }
  }
  return model;
}

export interface SaveOptions {
  /** External data file name, relative to the model's folder. Default `<model file>_data`. */
  location?: string;
  /** Tensors of at least this many bytes go to external data. Default 1024. */
  threshold?: number;
  /** Keep every tensor inline (only for models well under 2 GB). */
  inline?: boolean;
}

/** Saves a model; the model object itself is left unchanged. */
export function saveModel(model: ModelProto, file: string, opts: SaveOptions = {}): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const location = opts.location ?? `${path.basename(file)}_data`;
  const threshold = opts.inline ? Infinity : opts.threshold ?? 1024;
  const dataPath = path.join(dir, location);
  const tmpData = `${dataPath}.tmp-${process.pid}`;
  let fd: number | undefined;
  let offset = 0;
  const out = cloneShallow(model);
  try {
    for (const t of allTensors(out)) {
      const size = tensorByteLength(t);
      if (size === undefined || size < threshold) {
        if (t.dataLocation === DATA_LOCATION_EXTERNAL) inlineTensor(t);
        continue;
      }
      const data = t.dataLocation === DATA_LOCATION_EXTERNAL ? readTensorBytes(t) : t.rawData!;
      if (fd === undefined) fd = fs.openSync(tmpData, 'w');
      const pad = (4096 - (offset % 4096)) % 4096;
      if (pad) { fs.writeSync(fd, new Uint8Array(pad)); offset += pad; }
      fs.writeSync(fd, data);
      delete t.rawData;
      t.dataLocation = DATA_LOCATION_EXTERNAL;
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(data.byteLength) },
      ];
      offset += data.byteLength;
    }
    if (fd !== undefined) { fs.closeSync(fd); fd = undefined; fs.renameSync(tmpData, dataPath); }
    fs.writeFileSync(file, encodeModelProto(out));
  } finally {
    if (fd !== undefined) { fs.closeSync(fd); fs.rmSync(tmpData, { force: true }); }
  }
}

/** Protobuf bytes with every tensor inline (for in-memory sessions). Throws past 2 GB. */
export function serializeModel(model: ModelProto): Uint8Array {
  const out = cloneShallow(model);
  let total = 0;
  for (const t of allTensors(out)) {
    if (t.dataLocation === DATA_LOCATION_EXTERNAL) inlineTensor(t);
    total += t.rawData?.byteLength ?? 0;
  }
  if (total > 2_000_000_000) throw new Error(`model holds ${total} bytes of tensors: too big for one protobuf; save it with saveModel and open it by path`);
  return encodeModelProto(out);
}

/** Bytes of a model on disk: its .onnx file and the files beside it (external data; exporters write one model per folder). */
export function modelFolderBytes(onnxFile: string): number {
  const dir = path.dirname(onnxFile);
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}

/** Total bytes of initializer data (inline or external). */
export function modelDataBytes(model: ModelProto): number {
  let total = 0;
  for (const t of allTensors(model)) total += tensorByteLength(t) ?? 0;
  return total;
}

/** Raw bytes of a tensor, reading its external file if needed. */
export function readTensorBytes(t: TensorProto): Uint8Array {
  if (t.dataLocation !== DATA_LOCATION_EXTERNAL) {
    if (!t.rawData) throw new Error(`tensor ${t.name} has no raw data`);
    return t.rawData;
  }
  const ref = externalRef(t);
  const fd = fs.openSync(ref.location, 'r');
  try {
    const length = ref.length ?? fs.fstatSync(fd).size - ref.offset;
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buf, done, Math.min(length - done, 1 << 30), ref.offset + done);
      if (n === 0) throw new Error(`external data for ${t.name} is truncated (${ref.location})`);
      done += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Initializers of the main graph and tensors in Constant nodes / subgraphs. */
export function* allTensors(model: ModelProto): Generator<TensorProto> {
  if (model.graph) yield* graphTensors(model.graph);
}
function* graphTensors(g: GraphProto): Generator<TensorProto> {
  for (const t of g.initializer ?? []) yield t;
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) {
    if (a.t) yield a.t;
    for (const t of a.tensors ?? []) yield t;
    if (a.g) yield* graphTensors(a.g);
    for (const sg of a.graphs ?? []) yield* graphTensors(sg);
  }
}

interface ExternalRef { location: string; offset: number; length?: number }
function externalRef(t: TensorProto): ExternalRef {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new Error(`tensor ${t.name} is external but names no location`);
  return { location, offset: Number(kv.get('offset') ?? 0), length: kv.has('length') ? Number(kv.get('length')) : undefined };
}
function setExternal(t: TensorProto, ref: ExternalRef): void {
  t.externalData = [{ key: 'location', value: ref.location }, { key: 'offset', value: String(ref.offset) },
    ...(ref.length !== undefined ? [{ key: 'length', value: String(ref.length) }] : [])];
}
function inlineTensor(t: TensorProto): void {
  t.rawData = readTensorBytes(t);
  delete t.externalData;
  delete t.dataLocation;
}
function tensorByteLength(t: TensorProto): number | undefined {
  if (t.dataLocation === DATA_LOCATION_EXTERNAL) return externalRef(t).length ?? fs.statSync(externalRef(t).location).size;
  return t.rawData?.byteLength;
}

/** Copies the model's message tree but shares tensor byte buffers (no data copy). */
function cloneShallow(model: ModelProto): ModelProto {
  return structuredCloneNoBytes(model) as ModelProto;
}
function structuredCloneNoBytes(v: unknown): unknown {
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(structuredCloneNoBytes);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = structuredCloneNoBytes(x);
    return o;
  }
  return v;
}
export { structuredCloneNoBytes as cloneModelTree };
