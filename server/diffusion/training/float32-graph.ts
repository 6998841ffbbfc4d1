// Training graphs run in float32 whatever precision the export stores. A half-precision export
// (optimum --fp16) is lifted before the spectral rewrite and the loss are spliced in: its
// float16 weights and constants widened (exactly: every half is a float32), Casts to float16
// and dtype attributes retargeted, inputs and outputs declared float32. Why not train in half:
// - the shifts, singular values and AdamW state are float32 (the SVD is, and a step of lr 1e-3
//   on σ would mostly round away in half), and the loss meets float32 targets;
// - ORT's CPU provider has float16 kernels for few ops and casts around the rest, so the lifted
//   graph costs about what the half one does, computing the same function with fewer roundings;
// - backward through half activations needs loss scaling (small gradients underflow 2^-24).
// The price is twice the weights' memory during training. The trained δ apply to the widened
// weights, which are the export's own values, so sampling the half model with them (W_δ rounded
// to float16 by the session overrides) uses the same base weights.
import { cloneModelTree, DataType, halfToFloat32, readTensorBytes, tensorToArray, type AttributeProto, type GraphProto, type ModelProto, type TensorProto, type ValueInfoProto } from '../../onnx/index.ts';

/** True when any tensor, value, Cast or dtype of the graph (or its subgraphs) is float16. */
export function hasFloat16(model: ModelProto): boolean {
  return graphHasHalf(model.graph);
}

/** `model` with every float16 tensor, value and type made float32 (the model itself when there is none). */
export function liftToFloat32(model: ModelProto): ModelProto {
  if (!hasFloat16(model)) return model;
  const out = cloneModelTree(model) as ModelProto;
  liftGraph(out.graph!);
  return out;
}

const HALF = DataType.FLOAT16;
/** Attributes naming an output element type (Cast's `to`; RandomNormal(Like), EyeLike … `dtype`). */
const TYPE_ATTRS = new Set(['to', 'dtype']);

function graphHasHalf(g: GraphProto | undefined): boolean {
  if (!g) return false;
  const values = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  return (g.initializer ?? []).some((t) => t.dataType === HALF)
    || values.some((v) => v.type?.tensorType?.elemType === HALF)
    || (g.node ?? []).some((n) => (n.attribute ?? []).some(attrHasHalf));
}

function attrHasHalf(a: AttributeProto): boolean {
  return (TYPE_ATTRS.has(a.name ?? '') && a.i === HALF) || a.t?.dataType === HALF || (a.tensors ?? []).some((t) => t.dataType === HALF)
    || graphHasHalf(a.g) || (a.graphs ?? []).some(graphHasHalf);
}

function liftGraph(g: GraphProto): void {
  g.initializer = (g.initializer ?? []).map(liftTensor);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) liftValue(v);
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) liftAttr(a);
}

function liftAttr(a: AttributeProto): void {
  if (TYPE_ATTRS.has(a.name ?? '') && a.i === HALF) a.i = DataType.FLOAT;
  if (a.t) a.t = liftTensor(a.t);
  if (a.tensors) a.tensors = a.tensors.map(liftTensor);
  if (a.g) liftGraph(a.g);
  for (const sub of a.graphs ?? []) liftGraph(sub);
}

function liftValue(v: ValueInfoProto): void {
  const tt = v.type?.tensorType;
  if (tt?.elemType === HALF) tt.elemType = DataType.FLOAT;
}

/** A float16 tensor widened to float32 (external data read); other tensors as they are. */
function liftTensor(t: TensorProto): TensorProto {
  if (t.dataType !== HALF) return t;
  const inline = t.dataLocation === 1 ? { ...t, rawData: readTensorBytes(t), dataLocation: undefined, externalData: undefined } : t;
  const wide = halfToFloat32(tensorToArray(inline) as Uint16Array);
  const { externalData: _e, dataLocation: _d, int32Data: _i, ...rest } = t;
  return { ...rest, dataType: DataType.FLOAT, rawData: new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength) };
}
