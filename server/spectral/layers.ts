// Finding the spectral layers of an ONNX graph: every weight matrix (MatMul/Gemm operands,
// also when reached through a Transpose; Conv kernels; Gather'd embedding tables) and every
// 1-D normalisation scale (LayerNormalization's scale, or GroupNorm's per-channel Mul as torch
// exports it). Found through the graph, so weights renamed by the exporter (`onnx::MatMul_…`)
// are found too; they get the module path of the node that uses them as their layer name.
import { DataType, fromBfloat16Bits, fromHalfBits, type ModelProto, type NodeProto, type TensorProto } from '../onnx/index.ts';

/** Model parts that carry spectral layers (the VAE never does). */
export type SpectralPart = 'unet' | 'text_encoder';
export const SPECTRAL_PARTS: readonly SpectralPart[] = ['unet', 'text_encoder'];

/** matrix: a 2-D weight; conv: a kernel viewed as c_out × (c_in·kh·kw); norm: a 1-D scale. */
export type LayerKind = 'matrix' | 'conv' | 'norm';

export interface SpectralLayer {
  /** Layer name used by shift files: the module path (`down_blocks.0.resnets.0.conv1`). */
  name: string;
  part: SpectralPart;
  kind: LayerKind;
  /** The initializer holding W. */
  initializer: string;
  /** W's dims as stored. */
  shape: number[];
  /** ONNX data type of W (float32, float16, bfloat16 or double). */
  dataType: number;
  /**
   * The matrix that is decomposed: W's stored bytes viewed as rows × cols, rows = dims[0]
   * (MatMul's [in, out], Gemm's B as stored, conv c_out × c_in·kh·kw); a norm scale is 1 × n.
   * Singular values do not depend on the orientation, so δ means the same as in PyTorch.
   */
  rows: number;
  cols: number;
  /** Number of singular values = length of δ: min(rows, cols), 1 for a norm scale. */
  k: number;
  /** How the graph uses W (`MatMul`, `Transpose→MatMul`, `Gemm(transB)`, `Conv`, …), for reports. */
  use: string;
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);
/** Ops a weight may pass through on its way to the op that uses it as a matrix. */
const MATRIX_PASS = new Set(['Transpose', 'Identity', 'Cast']);
/** Ops a norm scale may pass through on its way to the Mul (torch: Unsqueeze to [C,1,1]). */
const NORM_PASS = new Set(['Unsqueeze', 'Reshape', 'Identity', 'Cast']);
/** Ops whose output is a normalised activation (what a GroupNorm/LayerNorm scale multiplies). */
const NORMALISERS = new Set(['InstanceNormalization', 'LayerNormalization', 'GroupNormalization', 'MeanVarianceNormalization', 'BatchNormalization']);
const SHAPE_PASS = new Set(['Reshape', 'Transpose', 'Identity', 'Cast', 'Squeeze', 'Unsqueeze']);

interface Use {
  node: NodeProto;
  index: number;
}

/** Every spectral layer of one part's graph, in the order the graph first uses them. */
export function findSpectralLayers(model: ModelProto, part: SpectralPart): SpectralLayer[] {
  const g = model.graph ?? {};
  const nodes = g.node ?? [];
  const consumers = new Map<string, Use[]>();
  const producer = new Map<string, NodeProto>();
  nodes.forEach((node) => {
    (node.input ?? []).forEach((name, index) => {
      if (!name) return;
      const l = consumers.get(name);
      if (l) l.push({ node, index });
      else consumers.set(name, [{ node, index }]);
    });
    for (const o of node.output ?? []) if (o) producer.set(o, node);
  });
  const order = new Map<NodeProto, number>();
  nodes.forEach((n, i) => order.set(n, i));
  const graphInputs = new Set((g.input ?? []).map((v) => v.name));

  const found: { layer: Omit<SpectralLayer, 'name'>; user?: NodeProto; first: number }[] = [];
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (!name || graphInputs.has(name) || !FLOAT_TYPES.has(t.dataType ?? DataType.FLOAT)) continue;
    const dims = (t.dims ?? []).map(Number);
    const uses = consumers.get(name) ?? [];
    if (uses.length === 0) continue;
    const first = Math.min(...uses.map((u) => order.get(u.node) ?? 0));
    const base = { part, initializer: name, shape: dims, dataType: t.dataType ?? DataType.FLOAT };
    if (dims.some((d) => d <= 0)) continue;
    const size = dims.reduce((a, b) => a * b, 1);
    // A scale torch's constant folding left as [C, 1, 1] (Unsqueeze folded away) is still a vector.
    const vector = dims.length >= 1 && size > 1 && dims.filter((d) => d !== 1).length === 1;
    const m = dims.length >= 2 ? matrixUse(name, dims.length, consumers) : null;
    const n = m || !vector ? null : normUse(name, consumers, producer) ?? (/norm[^./]*\.weight$/i.test(name) ? { use: 'named norm scale', node: undefined } : null);
    if (n) {
      found.push({ layer: { ...base, kind: 'norm', rows: 1, cols: size, k: 1, use: n.use }, user: n.node, first });
    } else if (m || (dims.length >= 2 && isNamedWeight(name))) {
      const rows = dims[0];
      const cols = size / rows;
      const kind: LayerKind = dims.length === 2 ? 'matrix' : 'conv';
      found.push({ layer: { ...base, kind, rows, cols, k: Math.min(rows, cols), use: m?.use ?? 'named weight' }, user: m?.node, first });
    }
  }
  found.sort((a, b) => a.first - b.first);
  const taken = new Set<string>();
  return found.map(({ layer, user }) => {
    let name = moduleName(layer.initializer, user);
    if (taken.has(name)) name = layer.initializer;
    taken.add(name);
    return { name, ...layer };
  });
}

/** `x.weight` names are PyTorch parameters (exporters keep them for convs, norms and some linears). */
function isNamedWeight(name: string): boolean {
  return name.endsWith('.weight') && !name.includes('::');
}

/**
 * The layer name: the parameter's module path when the initializer keeps it, else the module
 * path of the node using it (torch names nodes `/down_blocks.0/attentions.0/…/to_q/MatMul`),
 * else the initializer name itself.
 */
export function moduleName(initializer: string, user?: NodeProto): string {
  if (isNamedWeight(initializer)) return initializer.slice(0, -'.weight'.length);
  const n = user?.name ?? '';
  if (n.startsWith('/')) {
    const segs = n.split('/').filter(Boolean);
    segs.pop();
    if (segs.length) return segs.join('.');
  }
  return initializer;
}

type Found = { use: string; node: NodeProto } | null;

/**
 * Follows `start` forward through pass-through ops (`pass`, as their first input) until a
 * consumer `match`es; `label` is the op path taken, for reports (`Transpose→MatMul`).
 */
function findUse(start: string, consumers: Map<string, Use[]>, pass: ReadonlySet<string>, match: (node: NodeProto, index: number, label: string) => Found): Found {
  const seen = new Set<string>();
  const walk = (tensor: string, via: string[]): Found => {
    if (seen.has(tensor)) return null;
    seen.add(tensor);
    for (const { node, index } of consumers.get(tensor) ?? []) {
      if (node.domain && node.domain !== 'ai.onnx') continue;
      const op = node.opType ?? '';
      const found = match(node, index, [...via, op].join('→'));
      if (found) return found;
      if (pass.has(op) && index === 0) {
        const r = walk(node.output?.[0] ?? '', [...via, op]);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(start, []);
}

function matrixUse(start: string, rank: number, consumers: Map<string, Use[]>): Found {
  return findUse(start, consumers, MATRIX_PASS, (node, index, label) => {
    const op = node.opType ?? '';
    if ((op === 'MatMul' && rank === 2 && index <= 1) || (op === 'Gemm' && index <= 1)) {
      const tb = (node.attribute ?? []).find((a) => a.name === (index === 1 ? 'transB' : 'transA'))?.i;
      return { use: tb ? `${label}(trans${index === 1 ? 'B' : 'A'})` : label, node };
    }
    if ((op === 'Conv' || op === 'ConvTranspose') && index === 1 && rank >= 3) return { use: label, node };
    if (op === 'Gather' && index === 0 && rank === 2) {
      const axis = (node.attribute ?? []).find((a) => a.name === 'axis')?.i ?? 0;
      if (axis === 0) return { use: label, node };
    }
    return null;
  });
}

function normUse(start: string, consumers: Map<string, Use[]>, producer: Map<string, NodeProto>): Found {
  return findUse(start, consumers, NORM_PASS, (node, index, label) => {
    const op = node.opType ?? '';
    if ((op === 'LayerNormalization' || op === 'GroupNormalization') && index === 1) return { use: label, node };
    if (op === 'Mul') {
      const other = node.input?.[1 - index];
      if (other && fromNormaliser(other, producer)) return { use: label, node };
    }
    return null;
  });
}

/** True when `tensor` is a normalised activation: a normaliser op, or (x − mean) / sqrt(var + ε). */
function fromNormaliser(tensor: string, producer: Map<string, NodeProto>): boolean {
  let p = producer.get(tensor);
  for (let hops = 0; p && hops < 8; hops++) {
    const op = p.opType ?? '';
    if (NORMALISERS.has(op)) return true;
    if (op === 'Div') return producer.get(p.input?.[1] ?? '')?.opType === 'Sqrt';
    if (!SHAPE_PASS.has(op)) return false;
    p = producer.get(p.input?.[0] ?? '');
  }
  return false;
}

/** Float32 values of a weight (float16/bfloat16/double converted). `bytes` = its raw little-endian data. */
export function weightValues(t: Pick<TensorProto, 'name' | 'dataType'>, bytes: Uint8Array): Float32Array {
  const dt = t.dataType ?? DataType.FLOAT;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dt === DataType.FLOAT) {
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (dt === DataType.DOUBLE) return Float32Array.from({ length: bytes.byteLength / 8 }, (_, i) => dv.getFloat64(i * 8, true));
  if (dt === DataType.FLOAT16 || dt === DataType.BFLOAT16) {
    const out = new Float32Array(bytes.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = dt === DataType.BFLOAT16 ? fromBfloat16Bits(dv.getUint16(i * 2, true)) : fromHalfBits(dv.getUint16(i * 2, true));
    return out;
  }
  throw new Error(`weight ${t.name}: data type ${dt} is not a float type`);
}

