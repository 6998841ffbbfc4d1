// Deterministic graphs from exports that sample: optimum 1.x's VAE encoder returns
// latent_dist.sample() = mean + exp(logvar/2)·ε with ε from a RandomNormalLike node, so each
// encode of the same image differs. The studio encodes to the distribution's mode instead
// (diffusers' latent_dist.mode(), what optimum's current export leaves to the caller by
// returning [mean, logvar]): every normal draw is replaced by its mean, a constant, so
// mean + exp(logvar/2)·0 = mean exactly. DDIM inversion and training latents become repeatable.
import { cloneModelTree, DataType, makeTensor, toTyped, dtypeOf, type AttributeProto, type GraphProto, type ModelProto, type NodeProto } from '../../onnx/index.ts';

const DRAWS = new Set(['RandomNormalLike', 'RandomNormal']);

/** Whether the main graph draws normal random numbers. */
export function hasRandomDraws(model: ModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => isDraw(n));
}

/**
 * A copy of `model` with each normal draw of its main graph replaced by its mean (a constant of
 * the draw's shape and type); `model` itself when it draws nothing. A RandomNormalLike without
 * a dtype attribute whose input type the graph does not declare is left as it is.
 */
export function drawsAsMeans(model: ModelProto): ModelProto {
  if (!hasRandomDraws(model)) return model;
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  g.node = (g.node ?? []).flatMap((n) => (isDraw(n) ? meanOf(g, n) ?? [n] : [n]));
  return out;
}

function isDraw(n: NodeProto): boolean {
  return DRAWS.has(n.opType ?? '') && (!n.domain || n.domain === 'ai.onnx');
}

const attr = (n: NodeProto, name: string): AttributeProto | undefined => (n.attribute ?? []).find((a) => a.name === name);

/** Nodes computing the draw's mean into its output, or undefined where its type is unknown. */
function meanOf(g: GraphProto, n: NodeProto): NodeProto[] | undefined {
  const mean = attr(n, 'mean')?.f ?? 0;
  const out = n.output![0];
  const base = n.name || out;
  if (n.opType === 'RandomNormal') {
    const type = attr(n, 'dtype')?.i ?? DataType.FLOAT;
    const dims = attr(n, 'shape')?.ints ?? [];
    const value = filled(`${base}/mean`, type, dims, mean);
    return value && [{ opType: 'Constant', name: `${base}/mean`, input: [], output: [out], attribute: [{ name: 'value', type: 4, t: value }] }];
  }
  const like = n.input![0];
  const type = attr(n, 'dtype')?.i ?? declaredType(g, like);
  const value = type === undefined ? undefined : filled(`${base}/mean`, type, [1], mean);
  if (!value) return undefined;
  const shape = `${base}/mean_shape`;
  return [
    { opType: 'Shape', name: shape, input: [like], output: [shape] },
    { opType: 'ConstantOfShape', name: `${base}/mean`, input: [shape], output: [out], attribute: [{ name: 'value', type: 4, t: value }] },
  ];
}

/** A tensor of `dims` filled with `v` in ONNX type `type`; undefined for a type that is not float. */
function filled(name: string, type: number, dims: readonly number[], v: number) {
  if (type !== DataType.FLOAT && type !== DataType.FLOAT16 && type !== DataType.DOUBLE) return undefined;
  const n = dims.reduce((a, b) => a * b, 1);
  const dt = dtypeOf(type);
  return makeTensor(name, toTyped(new Array<number>(n).fill(v), dt), dims, dt);
}

/** The element type the graph declares for a tensor (input, value_info, output or initializer). */
function declaredType(g: GraphProto, name: string): number | undefined {
  const v = [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])].find((x) => x.name === name);
  return v?.type?.tensorType?.elemType ?? (g.initializer ?? []).find((t) => t.name === name)?.dataType;
}
