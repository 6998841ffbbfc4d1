// Resize (nearest and linear): a linear map per resized axis. The gradient applies each
// axis's interpolation matrix transposed; integer-factor nearest upsampling becomes a
// reshape + ReduceSum.
import { attrInt, attrInts, attrString } from '../attrs.ts';
import type { Emitter } from '../emitter.ts';
import { GradientError, type GradRule, type RuleContext } from '../rule.ts';

function coordinate(mode: string, x: number, scale: number, lenIn: number, lenOut: number): number {
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return lenOut > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return lenOut === 1 ? 0 : (x * (lenIn - 1)) / (lenOut - 1);
    case 'asymmetric': return x / scale;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    case 'half_pixel_symmetric': {
      const adj = lenOut / (scale * lenIn);
      const offset = (lenIn / 2) * (1 - adj);
      return offset + (x + 0.5) / scale - 0.5;
    }
  }
  throw new Error(`coordinate_transformation_mode '${mode}'`);
}
function nearest(mode: string, v: number): number {
  const f = Math.floor(v);
  const half = v - f === 0.5;
  switch (mode) {
    case 'round_prefer_floor': return half ? f : Math.round(v);
    case 'round_prefer_ceil': return half ? f + 1 : Math.round(v);
    case 'floor': return f;
    case 'ceil': return Math.ceil(v);
  }
  throw new Error(`nearest_mode '${mode}'`);
}

/** Interpolation matrix [out, in] for one axis, as ONNX Runtime computes it. */
export function resizeMatrix(mode: string, ctm: string, nmode: string, scale: number, lenIn: number, lenOut: number): Float64Array {
  const m = new Float64Array(lenOut * lenIn);
  for (let o = 0; o < lenOut; o++) {
    const x = coordinate(ctm, o, scale, lenIn, lenOut);
    if (mode === 'nearest') {
      const i = Math.min(Math.max(nearest(nmode, x), 0), lenIn - 1);
      m[o * lenIn + i] = 1;
    } else {
      const c = Math.min(Math.max(x, 0), lenIn - 1);
      const i0 = Math.floor(c), i1 = Math.min(i0 + 1, lenIn - 1);
      const t = c - i0;
      m[o * lenIn + i0] += 1 - t;
      m[o * lenIn + i1] += t;
    }
  }
  return m;
}

export const Resize: GradRule = (ctx: RuleContext) => {
  const { e, node, inputs, outputs: [y], gradOut: [g] } = ctx;
  const x = inputs[0];
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') throw new GradientError(node, `Resize mode '${mode}' has no gradient rule`);
  if (attrInt(node, 'antialias', 0)) throw new GradientError(node, 'Resize with antialias has no gradient rule');
  const ctm = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  if (ctm === 'tf_crop_and_resize') throw new GradientError(node, 'tf_crop_and_resize has no gradient rule');
  const nmode = attrString(node, 'nearest_mode', 'round_prefer_floor');
  const sx = e.shape(x), sy = e.shape(y), r = sx.length;
  const axesAttr = (attrInts(node, 'axes') ?? Array.from({ length: r }, (_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const scalesIn = inputs[2] ? floatValues(e, inputs[2]) : undefined;
  const scaleOf = (a: number) => {
    const k = axesAttr.indexOf(a);
    return scalesIn && scalesIn.length && k >= 0 ? scalesIn[k] : sy[a] / sx[a];
  };
  const resized = sx.map((_, a) => a).filter((a) => sx[a] !== sy[a] || scaleOf(a) !== 1);
  const mats = resized.map((a) => resizeMatrix(mode, ctm, nmode, scaleOf(a), sx[a], sy[a]));
  // Fast path: nearest with an integer factor where output o reads input floor(o / f).
  const factors = resized.map((a, k) => {
    const f = sy[a] / sx[a];
    if (!Number.isInteger(f)) return 0;
    for (let o = 0; o < sy[a]; o++) if (mats[k][o * sx[a] + Math.floor(o / f)] !== 1) return 0;
    return f;
  });
  if (resized.length && factors.every((f) => f > 0)) {
    const split: number[] = [];
    const sumAxes: number[] = [];
    sx.forEach((d, a) => {
      split.push(d);
      const k = resized.indexOf(a);
      if (k >= 0) { split.push(factors[k]); sumAxes.push(split.length - 1); }
    });
    return [e.reduceSum(e.reshape(g!, split), sumAxes, false), null, null, null];
  }
  let cur = g!;
  resized.forEach((a, k) => {
    const m = Array.from(mats[k]);
    const cs = e.shape(cur);
    const last = cs.length - 1;
    if (a === last) {
      cur = e.op('MatMul', [cur, e.tensor(m, [sy[a], sx[a]], cur)], {}, [...cs.slice(0, -1), sx[a]], e.dtype(cur));
    } else if (a === last - 1) {
      const mt = transposeMat(m, sy[a], sx[a]);
      cur = e.op('MatMul', [e.tensor(mt, [sx[a], sy[a]], cur), cur], {}, [...cs.slice(0, -2), sx[a], cs[last]], e.dtype(cur));
    } else {
      const perm = cs.map((_, i) => i);
      perm[a] = last; perm[last] = a;
      const t = e.transpose(cur, perm);
      const ts = e.shape(t);
      const mm = e.op('MatMul', [t, e.tensor(m, [sy[a], sx[a]], cur)], {}, [...ts.slice(0, -1), sx[a]], e.dtype(cur));
      cur = e.transpose(mm, perm);
    }
  });
  return [cur, null, null, null];
};

function transposeMat(m: number[], rows: number, cols: number): number[] {
  const t = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}
function floatValues(e: Emitter, name: string): number[] | undefined {
  return e.floatValues.get(name);
}
