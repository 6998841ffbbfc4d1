// Data-movement ops: Reshape family, Transpose, Expand, Tile, Concat, Split, Slice, Gather, Pad.
// All index/shape inputs must be static (constants, or computed from static shapes).
import { attrInt, attrInts, attrString } from '../attrs.ts';
import type { Emitter } from '../emitter.ts';
import { GradientError, type GradRule, type RuleContext } from '../rule.ts';

const asInput: GradRule = ({ e, inputs: [x], gradOut: [g] }) => [e.reshape(g!, e.shape(x))];
export const Reshape = asInput, Flatten = asInput, Squeeze = asInput, Unsqueeze = asInput;

export const Transpose: GradRule = ({ e, node, inputs: [x], gradOut: [g] }) => {
  const r = e.shape(x).length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const inv = new Array<number>(r);
  perm.forEach((p, i) => { inv[p] = i; });
  return [e.transpose(g!, inv)];
};

export const Expand: GradRule = ({ e, inputs: [x], gradOut: [g] }) => [e.reduceTo(g!, e.shape(x))];

function staticValues(ctx: RuleContext, name: string, what: string): number[] {
  const v = ctx.e.value(name);
  if (!v) throw new GradientError(ctx.node, `${what} ('${name}') must be static`);
  return v;
}

export const Tile: GradRule = (ctx) => {
  const { e, inputs: [x, reps], gradOut: [g] } = ctx;
  const rep = staticValues(ctx, reps, 'repeats');
  const sx = e.shape(x);
  const split = sx.flatMap((d, i) => [rep[i], d]);
  const r = e.reduceSum(e.reshape(g!, split), sx.map((_, i) => 2 * i), false);
  return [r, null];
};

export const Concat: GradRule = ({ e, node, inputs, gradOut: [g] }) => {
  const r = e.shape(inputs[0]).length;
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += r;
  const sizes = inputs.map((x) => e.shape(x)[axis]);
  const parts = sizes.filter((n) => n > 0).length > 1 ? e.split(g!, axis, sizes.filter((n) => n > 0)) : [g!];
  let k = 0;
  return sizes.map((n) => (n > 0 ? parts[k++] : null));
};

export const Split: GradRule = ({ e, node, inputs: [x], outputs, gradOut }) => {
  const r = e.shape(x).length;
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += r;
  const pieces = outputs.map((o, i) => gradOut[i] ?? e.zeros(e.shape(o), x));
  return [pieces.length === 1 ? pieces[0] : e.concat(pieces, axis)];
};

export const Slice: GradRule = (ctx) => {
  const { e, inputs: [x, st, en, ax, sp], gradOut: [g] } = ctx;
  const sx = e.shape(x);
  const r = sx.length;
  const starts = staticValues(ctx, st, 'starts'), ends = staticValues(ctx, en, 'ends');
  const axes = (ax ? staticValues(ctx, ax, 'axes') : starts.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const steps = sp ? staticValues(ctx, sp, 'steps') : starts.map(() => 1);
  let cur = g!;
  axes.forEach((a, i) => {
    const dim = sx[a], step = steps[i];
    const len = e.shape(cur)[a];
    let start = starts[i] < 0 ? starts[i] + dim : starts[i];
    start = step > 0 ? Math.min(Math.max(start, 0), dim) : Math.min(Math.max(start, 0), dim - 1);
    if (len === 0) { cur = e.zeros(sx.map((d, k) => (k === a ? dim : e.shape(cur)[k])), x); return; }
    const k = Math.abs(step);
    if (step < 0) {
      // Reverse along the axis so the slice runs upwards from its lowest index.
      const sh = e.shape(cur);
      cur = e.op('Slice', [cur, e.ints([-1]), e.ints([-(sh[a] + 1)]), e.ints([a]), e.ints([-1])], {}, sh, e.dtype(cur));
      start = start - (len - 1) * k;
    }
    if (k > 1) {
      // Interleave k-1 zeros after each element, then drop the trailing ones.
      const sh = e.shape(cur);
      const un = e.reshape(cur, [...sh.slice(0, a + 1), 1, ...sh.slice(a + 1)]);
      const padCfg = new Array(2 * (r + 1)).fill(0);
      padCfg[r + 1 + a + 1] = k - 1;
      const spread = e.reshape(e.pad(un, padCfg), [...sh.slice(0, a), len * k, ...sh.slice(a + 1)]);
      cur = e.slice(spread, [0], [(len - 1) * k + 1], [a]);
    }
    const span = (len - 1) * k + 1;
    const pads = new Array(2 * r).fill(0);
    pads[a] = start;
    pads[r + a] = dim - start - span;
    cur = e.pad(cur, pads);
  });
  return [cur];
};

export const Gather: GradRule = ({ e, node, inputs: [data, indices], gradOut: [g], needs }) => {
  if (!needs[0]) return [null, null];
  const sd = e.shape(data), si = e.shape(indices);
  let a = attrInt(node, 'axis', 0);
  if (a < 0) a += sd.length;
  const ri = si.length;
  const gRank = e.shape(g!).length;
  // Bring the index dims first: [si..., sd[:a]..., sd[a+1:]...].
  const perm = [...Array.from({ length: ri }, (_, i) => a + i), ...Array.from({ length: a }, (_, i) => i),
    ...Array.from({ length: gRank - a - ri }, (_, i) => a + ri + i)];
  const gi = e.transpose(g!, perm);
  const zshape = [sd[a], ...sd.slice(0, a), ...sd.slice(a + 1)];
  let idx = e.dtype(indices) === 7 ? indices : e.op('Cast', [indices], { to: 7 }, si, 7);
  const neg = e.op('Less', [idx, e.intScalar(0)], {}, si, 9);
  idx = e.op('Where', [neg, e.op('Add', [idx, e.intScalar(sd[a])], {}, si, 7), idx], {}, si, 7);
  const idx1 = e.op('Unsqueeze', [idx, e.ints([-1])], {}, [...si, 1], 7);
  const sc = e.op('ScatterND', [e.zeros(zshape, data), idx1, gi], { reduction: 'add' }, zshape, e.dtype(data));
  const back = [...Array.from({ length: a }, (_, i) => i + 1), 0, ...Array.from({ length: sd.length - a - 1 }, (_, i) => a + 1 + i)];
  return [e.transpose(sc, back), null];
};

export const Pad: GradRule = (ctx) => {
  const { e, node, inputs: [x, padsIn, , axesIn], gradOut: [g] } = ctx;
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant') throw new GradientError(node, `Pad mode '${mode}' has no gradient rule (only 'constant')`);
  const sx = e.shape(x), r = sx.length;
  const raw = padsIn ? staticValues(ctx, padsIn, 'pads') : attrInts(node, 'pads') ?? [];
  const axes = (axesIn ? staticValues(ctx, axesIn, 'axes') : sx.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const nA = axes.length;
  let cur = g!;
  const cropStart = new Array(r).fill(0), cropEnd = sx.map((d) => d);
  const growPads = new Array(2 * r).fill(0);
  axes.forEach((a, i) => {
    const pb = raw[i], pe = raw[i + nA];
    cropStart[a] = Math.max(pb, 0);
    cropEnd[a] = Math.max(pb, 0) + sx[a] - Math.max(-pb, 0) - Math.max(-pe, 0);
    growPads[a] = Math.max(-pb, 0);
    growPads[r + a] = Math.max(-pe, 0);
  });
  const all = sx.map((_, i) => i);
  if (cropStart.some((s, i) => s !== 0 || cropEnd[i] !== e.shape(cur)[i])) cur = e.slice(cur, cropStart, cropEnd, all);
  return [e.pad(cur, growPads)];
};

function reduceAxes(e: Emitter, node: RuleContext['node'], inputs: string[], ctx: RuleContext): number[] | null {
  const r = e.shape(inputs[0]).length;
  const ax = attrInts(node, 'axes') ?? (inputs[1] ? staticValues(ctx, inputs[1], 'axes') : []);
  if (ax.length === 0) return attrInt(node, 'noop_with_empty_axes', 0) ? null : Array.from({ length: r }, (_, i) => i);
  return ax.map((a) => (a < 0 ? a + r : a));
}
const reduceRule = (mean: boolean): GradRule => (ctx) => {
  const { e, node, inputs, gradOut: [g] } = ctx;
  const sx = e.shape(inputs[0]);
  const axes = reduceAxes(e, node, inputs, ctx);
  if (axes === null) return [g, null];
  const keep = sx.map((d, i) => (axes.includes(i) ? 1 : d));
  let gx = e.expand(e.reshape(g!, keep), sx);
  if (mean) {
    const count = axes.reduce((acc, a) => acc * sx[a], 1);
    gx = e.mul(gx, e.scalar(1 / count, g!));
  }
  return [gx, null];
};
export const ReduceSum = reduceRule(false);
export const ReduceMean = reduceRule(true);

export const GatherND: GradRule = ({ e, node, inputs: [data, indices], gradOut: [g], needs }) => {
  if (!needs[0]) return [null, null];
  if (attrInt(node, 'batch_dims', 0) !== 0) throw new GradientError(node, 'GatherND with batch_dims > 0 has no gradient rule');
  const sd = e.shape(data), si = e.shape(indices);
  const k = si[si.length - 1];
  const dimsVec = e.ints(sd.slice(0, k));
  const neg = e.op('Less', [indices, e.intScalar(0)], {}, si, 9);
  const idx = e.op('Where', [neg, e.op('Add', [indices, dimsVec], {}, si, 7), indices], {}, si, 7);
  return [e.op('ScatterND', [e.zeros(sd, data), idx, g!], { reduction: 'add' }, sd, e.dtype(data)), null];
};

export const GatherElements: GradRule = ({ e, node, inputs: [data, indices], gradOut: [g], needs }) => {
  if (!needs[0]) return [null, null];
  const sd = e.shape(data), si = e.shape(indices);
  let a = attrInt(node, 'axis', 0);
  if (a < 0) a += sd.length;
  let idx = e.dtype(indices) === 7 ? indices : e.op('Cast', [indices], { to: 7 }, si, 7);
  const neg = e.op('Less', [idx, e.intScalar(0)], {}, si, 9);
  idx = e.op('Where', [neg, e.op('Add', [idx, e.intScalar(sd[a])], {}, si, 7), idx], {}, si, 7);
  return [e.op('ScatterElements', [e.zeros(sd, data), idx, g!], { axis: a, reduction: 'add' }, sd, e.dtype(data)), null];
};
