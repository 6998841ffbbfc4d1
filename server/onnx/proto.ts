// ONNX protobuf messages as plain TypeScript objects (camelCase fields, int64 as number),
// encoded and decoded with protobufjs from the onnx.proto subset beside this file.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export enum DataType {
  UNDEFINED = 0, FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7,
  STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, COMPLEX64 = 14,
  COMPLEX128 = 15, BFLOAT16 = 16,
}
export enum AttributeType {
  UNDEFINED = 0, FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7,
  STRINGS = 8, TENSORS = 9, GRAPHS = 10,
}
export const DATA_LOCATION_EXTERNAL = 1;

export interface StringStringEntryProto { key?: string; value?: string }
export interface OperatorSetIdProto { domain?: string; version?: number }
export interface TensorProto {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntryProto[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: number[];
  metadataProps?: StringStringEntryProto[];
}
export interface TensorShapeDimension { dimValue?: number; dimParam?: string; denotation?: string }
export interface TensorShapeProto { dim?: TensorShapeDimension[] }
export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShapeProto };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  denotation?: string;
}
export interface ValueInfoProto { name?: string; type?: TypeProto; docString?: string }
export interface AttributeProto {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
}
export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}
export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  [extra: string]: unknown;
}
export interface ModelProto {
  irVersion?: number;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: StringStringEntryProto[];
  [extra: string]: unknown;
}

const root = protobuf.loadSync(fileURLToPath(new URL('./proto/onnx.proto', import.meta.url)));
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

const toObjectOptions: protobuf.IConversionOptions = { longs: Number, enums: Number, arrays: true, defaults: false };

export function decodeModelProto(bytes: Uint8Array): ModelProto {
  const msg = ModelType.decode(bytes);
  return ModelType.toObject(msg, toObjectOptions) as ModelProto;
}

/** Encodes a model. Throws beyond protobuf's 2 GB limit: move tensors to external data first. */
export function encodeModelProto(model: ModelProto): Uint8Array {
  return ModelType.encode(ModelType.fromObject(model as Record<string, unknown>)).finish();
}

export function encodeTensorProto(t: TensorProto): Uint8Array {
  return TensorType.encode(TensorType.fromObject(t as Record<string, unknown>)).finish();
}
