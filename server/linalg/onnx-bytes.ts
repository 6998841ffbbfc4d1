// Hand-encodes the one tiny ONNX model linalg needs (a float64 Gemm with symbolic shapes).
// It lives here rather than in server/onnx because linalg sits below every other layer.

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, b: number[]) => [...tag(field, 2), ...varint(b.length), ...b];
const strField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);
const intField = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
function floatField(field: number, v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [...tag(field, 5), ...b];
}

const DOUBLE = 11; // TensorProto.DataType.DOUBLE

/** ValueInfoProto for a rank-2 double tensor with symbolic dims. */
function valueInfo(name: string): number[] {
  const dim = (p: string) => bytesField(1, strField(2, p));
  const shape = [...dim(`${name}_rows`), ...dim(`${name}_cols`)];
  const tensorType = [...intField(1, DOUBLE), ...bytesField(2, shape)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}
const attrInt = (name: string, v: number) => [...strField(1, name), ...intField(3, v), ...intField(20, 2)];
const attrFloat = (name: string, v: number) => [...strField(1, name), ...floatField(2, v), ...intField(20, 1)];

export interface GemmSpec {
  transA: boolean;
  transB: boolean;
  /** With C: Y = alpha·op(A)·op(B) + beta·C. alpha/beta are ±1 or 0 here, exact in float32 attributes. */
  withC: boolean;
  alpha: number;
  beta: number;
}

/** ModelProto bytes for `Y = Gemm(A, B[, C])` in float64, opset 13. */
export function gemmModelBytes(spec: GemmSpec): Uint8Array {
  const inputs = spec.withC ? ['A', 'B', 'C'] : ['A', 'B'];
  const node = [
    ...inputs.flatMap((n) => strField(1, n)),
    ...strField(2, 'Y'),
    ...strField(4, 'Gemm'),
    ...bytesField(5, attrInt('transA', spec.transA ? 1 : 0)),
    ...bytesField(5, attrInt('transB', spec.transB ? 1 : 0)),
    ...bytesField(5, attrFloat('alpha', spec.alpha)),
    ...bytesField(5, attrFloat('beta', spec.beta)),
  ];
  const graph = [
    ...bytesField(1, node),
    ...strField(2, 'gemm'),
    ...inputs.flatMap((n) => bytesField(11, valueInfo(n))),
    ...bytesField(12, valueInfo('Y')),
  ];
  const opset = [...strField(1, ''), ...intField(2, 13)];
  return Uint8Array.from([...intField(1, 8), ...bytesField(8, opset), ...bytesField(7, graph)]);
}
