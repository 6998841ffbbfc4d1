// Tensor data helpers: ONNX element types <-> typed arrays, and TensorProto construction.
import { float32ToHalf, fromBfloat16Bits, fromHalfBits } from './float16.ts';
import { DataType, type TensorProto } from './proto.ts';

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

const toOnnx: Record<DType, DataType> = {
  float32: DataType.FLOAT, float64: DataType.DOUBLE, float16: DataType.FLOAT16, int64: DataType.INT64,
  int32: DataType.INT32, int8: DataType.INT8, uint8: DataType.UINT8, bool: DataType.BOOL,
};
const bytesPer: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2,
  [DataType.INT64]: 8, [DataType.UINT64]: 8, [DataType.INT32]: 4, [DataType.UINT32]: 4,
  [DataType.INT16]: 2, [DataType.UINT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1,
};

export function onnxDataType(d: DType): DataType { return toOnnx[d]; }
export function dtypeOf(dataType: number): DType {
  for (const [k, v] of Object.entries(toOnnx)) if (v === dataType) return k as DType;
  throw new Error(`unsupported ONNX data type ${dataType}`);
}
export function bytesPerElement(dataType: number): number {
  const b = bytesPer[dataType];
  if (b === undefined) throw new Error(`no fixed element size for ONNX data type ${dataType}`);
  return b;
}
export function isFloatType(dataType: number): boolean {
  return dataType === DataType.FLOAT || dataType === DataType.DOUBLE || dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16;
}
export function numel(dims: readonly number[]): number { return dims.reduce((a, b) => a * b, 1); }

/** Builds a TensorProto holding `data` as raw bytes (little-endian, as ONNX requires). */
export function makeTensor(name: string, data: TypedArray | number[], dims: readonly number[], dtype?: DType): TensorProto {
  const dt: DType = dtype ?? (data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64'
    : data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : data instanceof Int8Array ? 'int8'
    : data instanceof Uint8Array ? 'uint8' : data instanceof Uint16Array ? 'float16' : 'float32');
  const arr = Array.isArray(data) ? toTyped(data, dt) : data;
  if (arr.length !== numel(dims)) throw new Error(`tensor ${name}: ${arr.length} values for dims [${dims}]`);
  const raw = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  return { name, dims: [...dims], dataType: toOnnx[dt], rawData: raw };
}

export function toTyped(data: readonly number[], dt: DType): TypedArray {
  switch (dt) {
    case 'float32': return Float32Array.from(data);
    case 'float64': return Float64Array.from(data);
    case 'int64': return BigInt64Array.from(data.map((v) => BigInt(Math.trunc(v))));
    case 'int32': return Int32Array.from(data);
    case 'int8': return Int8Array.from(data);
    case 'uint8': case 'bool': return Uint8Array.from(data);
    // Half bit patterns, rounded to nearest (what ORT takes for float16).
    case 'float16': return float32ToHalf(data);
  }
}

/** Inline data of a tensor as a typed array (copied, aligned). External tensors must be loaded first. */
export function tensorToArray(t: TensorProto): TypedArray {
  const dt = t.dataType ?? DataType.FLOAT;
  const n = numel(t.dims ?? []);
  if (t.dataLocation === 1) throw new Error(`tensor ${t.name} is external; load it with readTensorBytes first`);
  if (t.rawData && t.rawData.byteLength > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy
    switch (dt) {
      case DataType.FLOAT: return new Float32Array(copy.buffer, 0, n);
      case DataType.DOUBLE: return new Float64Array(copy.buffer, 0, n);
      case DataType.INT64: return new BigInt64Array(copy.buffer, 0, n);
      case DataType.INT32: return new Int32Array(copy.buffer, 0, n);
      case DataType.INT8: return new Int8Array(copy.buffer, 0, n);
      case DataType.UINT8: case DataType.BOOL: return copy;
      case DataType.FLOAT16: case DataType.BFLOAT16: return new Uint16Array(copy.buffer, 0, n);
    }
    throw new Error(`tensor ${t.name}: unsupported data type ${dt}`);
  }
  switch (dt) {
    case DataType.FLOAT: return Float32Array.from(t.floatData ?? []);
    case DataType.DOUBLE: return Float64Array.from(t.doubleData ?? []);
    case DataType.INT64: return BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(v)));
    case DataType.INT32: return Int32Array.from(t.int32Data ?? []);
    case DataType.INT8: return Int8Array.from(t.int32Data ?? []);
    case DataType.UINT8: case DataType.BOOL: return Uint8Array.from(t.int32Data ?? []);
    case DataType.FLOAT16: case DataType.BFLOAT16: return Uint16Array.from(t.int32Data ?? []);
  }
  throw new Error(`tensor ${t.name}: unsupported data type ${dt}`);
}

/** Tensor values as plain numbers (int64 converted, half and bfloat16 decoded), for small shape/index tensors and constants. */
export function tensorToNumbers(t: TensorProto): number[] {
  const a = tensorToArray(t);
  // tensorToArray gives 16-bit floats as their bit patterns.
  if (t.dataType === DataType.FLOAT16) return Array.from(a as Uint16Array, fromHalfBits);
  if (t.dataType === DataType.BFLOAT16) return Array.from(a as Uint16Array, fromBfloat16Bits);
  return Array.from(a as ArrayLike<number | bigint>, (v) => Number(v));
}
