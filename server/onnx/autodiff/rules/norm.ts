// Softmax, LogSoftmax and the normalisation ops (Layer/Instance/Group). Statistics are
// recomputed from the input (cheap, and it keeps the forward graph untouched).
import { attrFloat, attrInt } from '../attrs.ts';
import type { Emitter } from '../emitter.ts';
import { GradientError, type GradRule } from '../rule.ts';

export const Softmax: GradRule = ({ e, node, outputs: [y], gradOut: [g], consumers, gradOf }) => {
  const r = e.shape(y).length;
  let axis = attrInt(node, 'axis', -1);
  if (axis < 0) axis += r;
  // Attention: when y only feeds O = y @ V, Σⱼ gᵢⱼ yᵢⱼ = Σ_d dOᵢ_d Oᵢ_d, a reduction over the
  // head dim instead of the (much larger) key axis.
  const cons = consumers(y);
  if (axis === r - 1 && r >= 2 && cons.length === 1 && cons[0].opType === 'MatMul' && cons[0].input![0] === y && cons[0].input![1] !== y) {
    const o = cons[0].output![0];
    const dO = gradOf(o);
    const so = e.shape(o), sy = e.shape(y);
    if (dO && so.length === r && so.slice(0, -1).every((d, i) => d === sy[i])) {
      const rs = e.reduceSum(e.mul(dO, o), [-1], true);
      const v = cons[0].input![1];
      const sv = e.shape(v);
      if (sv.length === r && sv.slice(0, -2).every((d, i) => d === sy[i])) {
        const { lhs, rhsT } = shiftFactors(e, dO, rs, v);
        return [e.mul(y, e.op('MatMul', [lhs, rhsT], {}, sy, e.dtype(y)))];
      }
      return [e.mul(y, e.sub(g!, rs))];
    }
  }
  const gy = e.mul(g!, y);
  return [e.sub(gy, e.mul(y, e.reduceSum(gy, [axis], true)))];
};
/**
 * For P = softmax(S) read only by O = P·V: g − rs = [dO, −rs] · [V, 1]ᵀ, with rs = rowsum(dO ⊙ O),
 * so one GEMM of these two factors yields the shifted gradient, with no pass over the N×M map.
 * Returns [dO, −rs] and [V, 1]ᵀ (batch dims first, as V's).
 */
export function shiftFactors(e: Emitter, dO: string, rs: string, v: string): { lhs: string; rhsT: string } {
  const sv = e.shape(v), r = sv.length;
  const lhs = e.concat([dO, e.neg(rs)], r - 1);
  const v1 = e.concat([v, e.expand(e.scalar(1, v), [...sv.slice(0, -1), 1])], r - 1);
  return { lhs, rhsT: e.transpose(v1, [...sv.slice(0, -2).map((_, i) => i), r - 1, r - 2]) };
}

export const LogSoftmax: GradRule = ({ e, node, outputs: [y], gradOut: [g] }) => {
  const axis = attrInt(node, 'axis', -1);
  return [e.sub(g!, e.mul(e.un('Exp', y), e.reduceSum(g!, [axis], true)))];
};

/** Normalisation over `axes` (keepdims): returns xhat and a function giving dx from dxhat. */
function normalise(e: Emitter, x: string, axes: number[], eps: number) {
  const mean = e.reduceMean(x, axes, true);
  const xc = e.sub(x, mean);
  const variance = e.reduceMean(e.mul(xc, xc), axes, true);
  const invstd = e.un('Reciprocal', e.un('Sqrt', e.add(variance, e.scalar(eps, x))));
  const xhat = e.mul(xc, invstd);
  const backward = (gxhat: string) => {
    const m1 = e.reduceMean(gxhat, axes, true);
    const m2 = e.reduceMean(e.mul(gxhat, xhat), axes, true);
    return e.mul(e.sub(e.sub(gxhat, m1), e.mul(xhat, m2)), invstd);
  };
  return { xhat, backward };
}

export const LayerNormalization: GradRule = ({ e, node, inputs: [x, scale, bias], gradOut: [g], needs }) => {
  const sx = e.shape(x);
  const r = sx.length;
  let axis = attrInt(node, 'axis', -1);
  if (axis < 0) axis += r;
  const axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  if (e.dtype(x) !== 1) {
    // Statistics are stashed as float32: for other types recompute them in the input's type.
    const { xhat, backward } = normalise(e, x, axes, eps);
    return [needs[0] ? backward(e.mul(g!, scale)) : null,
      needs[1] ? e.reduceTo(e.mul(g!, xhat), e.shape(scale)) : null,
      bias && needs[2] ? e.reduceTo(g!, e.shape(bias)) : null];
  }
  // Reuse the statistics the forward node can output (Mean, InvStdDev) instead of
  // recomputing them: adding optional outputs leaves Y unchanged.
  const outs = [...(node.output ?? [])];
  while (outs.length < 3) outs.push('');
  const statShape = sx.map((d, i) => (i < axis ? d : 1));
  for (const k of [1, 2]) {
    if (!outs[k]) {
      outs[k] = e.b.unique(`${node.name || 'LayerNormalization'}_${k === 1 ? 'mean' : 'invstd'}`);
      e.shapes.set(outs[k], { dims: statShape, dataType: 1 });
    }
  }
  node.output = outs;
  const [, mean, invstd] = outs;
  const xhat = e.mul(e.sub(x, mean), invstd);
  const gx = () => {
    const gxhat = e.mul(g!, scale);
    const m1 = e.reduceMean(gxhat, axes, true);
    const m2 = e.reduceMean(e.mul(gxhat, xhat), axes, true);
    return e.mul(e.sub(e.sub(gxhat, m1), e.mul(xhat, m2)), invstd);
  };
  return [
    needs[0] ? gx() : null,
    needs[1] ? e.reduceTo(e.mul(g!, xhat), e.shape(scale)) : null,
    bias && needs[2] ? e.reduceTo(g!, e.shape(bias)) : null,
  ];
};

export const InstanceNormalization: GradRule = ({ e, node, inputs: [x, scale, bias], outputs: [y], gradOut: [g], needs }) => {
  const s = e.shape(x);
  const axes = s.slice(2).map((_, i) => i + 2);
  const bshape = [s[1], ...axes.map(() => 1)];
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const sv = e.floatValues.get(scale), bv = e.floatValues.get(bias);
  if (!needs[1] && !needs[2] && sv?.every((v) => v === 1) && bv?.every((v) => v === 0)) {
    // torch's GroupNorm export: unit scale, zero bias, so the output is x̂ itself. The std
    // follows from q = mean(x̂·x) = var/σ with σ² = var + eps: σ = (q + √(q² + 4·eps)) / 2.
    const q = e.reduceMean(e.mul(y, x), axes, true);
    const sigma = e.mul(e.add(q, e.un('Sqrt', e.add(e.mul(q, q), e.scalar(4 * eps, x)))), e.scalar(0.5, x));
    const invstd = e.un('Reciprocal', sigma);
    const m1 = e.reduceMean(g!, axes, true);
    const m2 = e.reduceMean(e.mul(g!, y), axes, true);
    return [e.mul(e.sub(e.sub(g!, m1), e.mul(y, m2)), invstd), null, null];
  }
  const { xhat, backward } = normalise(e, x, axes, attrFloat(node, 'epsilon', 1e-5));
  return [
    needs[0] ? backward(e.mul(g!, e.reshape(scale, bshape))) : null,
    needs[1] ? e.reduceSum(e.mul(g!, xhat), [0, ...axes], false) : null,
    needs[2] ? e.reduceSum(g!, [0, ...axes], false) : null,
  ];
};

export const GroupNormalization: GradRule = ({ e, node, inputs: [x, scale, bias], gradOut: [g], needs }) => {
  const s = e.shape(x);
  const G = attrInt(node, 'num_groups', 0);
  const C = s[1];
  if (!G || C % G) throw new GradientError(node, `num_groups ${G} does not divide ${C} channels`);
  const spatial = s.slice(2).reduce((a, b) => a * b, 1);
  const grouped = [s[0], G, C / G, spatial];
  // Opset 18 scales per group, opset 21 per channel: the static shape tells which.
  const perChannel = e.shape(scale)[0] === C && C !== G;
  const bshape = perChannel ? [1, G, C / G, 1] : [1, G, 1, 1];
  const x4 = e.reshape(x, grouped);
  const g4 = e.reshape(g!, grouped);
  const { xhat, backward } = normalise(e, x4, [2, 3], attrFloat(node, 'epsilon', 1e-5));
  const red = (t: string) => e.reshape(e.reduceTo(t, bshape), e.shape(scale));
  return [
    needs[0] ? e.reshape(backward(e.mul(g4, e.reshape(scale, bshape))), s) : null,
    needs[1] ? red(e.mul(g4, xhat)) : null,
    needs[2] ? e.reshape(e.reduceTo(g4, bshape), e.shape(bias)) : null,
  ];
};
