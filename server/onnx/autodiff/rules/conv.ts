// Conv and ConvTranspose (any spatial rank, groups, strides, pads, dilations, auto_pad).
// Input gradients are the adjoint op (ConvTranspose <-> Conv); weight gradients are a Conv
// with batch and channels swapped, so everything stays in ORT's fast conv kernels.
import { attrInt, attrInts, attrString } from '../attrs.ts';
import type { Emitter } from '../emitter.ts';
import { GradientError, type GradRule } from '../rule.ts';
import type { NodeProto } from '../../proto.ts';

interface ConvGeom { r: number; K: number[]; s: number[]; d: number[]; b: number[]; en: number[]; G: number }

function geometry(node: NodeProto, e: Emitter, x: string, w: string, transposed: boolean, y: string): ConvGeom {
  const sx = e.shape(x), sw = e.shape(w), sy = e.shape(y);
  const r = sx.length - 2;
  const K = attrInts(node, 'kernel_shape') ?? sw.slice(2);
  const s = attrInts(node, 'strides') ?? Array(r).fill(1);
  const d = attrInts(node, 'dilations') ?? Array(r).fill(1);
  const G = attrInt(node, 'group', 1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let pads = attrInts(node, 'pads') ?? Array(2 * r).fill(0);
  if (!transposed && autoPad !== 'NOTSET') {
    pads = Array(2 * r).fill(0);
    if (autoPad !== 'VALID') for (let i = 0; i < r; i++) {
      const total = Math.max(0, (sy[i + 2] - 1) * s[i] + d[i] * (K[i] - 1) + 1 - sx[i + 2]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i];
    }
  }
  if (transposed && (autoPad !== 'NOTSET' || attrInts(node, 'output_shape'))) {
    const op = attrInts(node, 'output_padding') ?? Array(r).fill(0);
    pads = Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      // A larger requested output_shape acts as extra output padding at the end.
      const total = Math.max(0, s[i] * (sx[i + 2] - 1) + op[i] + d[i] * (K[i] - 1) + 1 - sy[i + 2]);
      const half = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + r] = total - pads[i];
    }
  }
  return { r, K, s, d, b: pads.slice(0, r), en: pads.slice(r), G };
}

/** [N, G*C, ...] -> [C, G*N, ...]: channels become the batch, batch the channels (grouped). */
function channelsAsBatch(e: Emitter, x: string, G: number): string {
  const s = e.shape(x);
  const sp = s.slice(2), r = sp.length;
  const rest = Array.from({ length: r }, (_, i) => i + 3);
  if (G === 1) return e.transpose(x, [1, 0, ...rest.map((i) => i - 1)]);
  const c = s[1] / G;
  const t = e.transpose(e.reshape(x, [s[0], G, c, ...sp]), [2, 1, 0, ...rest]);
  return e.reshape(t, [c, G * s[0], ...sp]);
}
/** [N, G*C, ...] -> [G*C, N, ...]: a tensor used as a grouped conv kernel over the batch. */
function asKernel(e: Emitter, x: string, G: number): string {
  const s = e.shape(x);
  const sp = s.slice(2), r = sp.length;
  const rest = Array.from({ length: r }, (_, i) => i + 3);
  if (G === 1) return e.transpose(x, [1, 0, ...rest.map((i) => i - 1)]);
  const c = s[1] / G;
  const t = e.transpose(e.reshape(x, [s[0], G, c, ...sp]), [1, 2, 0, ...rest]);
  return e.reshape(t, [G * c, s[0], ...sp]);
}

/** conv(input, kernel) with strides/dilations swapped, cropped to K, channels swapped back. */
function weightGrad(e: Emitter, input: string, kernel: string, g: ConvGeom, outShape: number[]): string {
  const si = e.shape(input), sk = e.shape(kernel);
  const Kp = si.slice(2).map((n, i) => Math.floor((n + g.b[i] + g.en[i] - g.s[i] * (sk[i + 2] - 1) - 1) / g.d[i]) + 1);
  let r = e.op('Conv', [input, kernel], { group: g.G, strides: g.d, dilations: g.s, pads: [...g.b, ...g.en] },
    [si[0], sk[0], ...Kp], e.dtype(input), 'ConvW');
  if (Kp.some((k, i) => k !== g.K[i])) {
    const axes = g.K.map((_, i) => i + 2);
    r = e.slice(r, axes.map(() => 0), g.K, axes);
  }
  return checkShape(e, e.transpose(r, [1, 0, ...g.K.map((_, i) => i + 2)]), outShape);
}
function checkShape(e: Emitter, t: string, want: number[]): string {
  const have = e.shape(t);
  if (have.length !== want.length || have.some((d, i) => d !== want[i])) throw new Error(`conv weight gradient shape [${have}] != [${want}]`);
  return t;
}

export const Conv: GradRule = ({ e, node, inputs: [x, w, bias], outputs: [y], gradOut: [g], needs }) => {
  const geo = geometry(node, e, x, w, false, y);
  const sx = e.shape(x), sy = e.shape(y);
  let gx: string | null = null, gw: string | null = null, gb: string | null = null;
  const flipPads = geo.K.flatMap((_, i) => [geo.d[i] * (geo.K[i] - 1) - geo.b[i]]).concat(geo.K.map((_, i) => geo.d[i] * (geo.K[i] - 1) - geo.en[i]));
  if (needs[0] && geo.s.every((v) => v === 1) && flipPads.every((p) => p >= 0)) {
    // Stride 1: the adjoint is a plain Conv with the kernel flipped and in/out channels
    // swapped per group (ORT's Conv kernels are much faster than ConvTranspose).
    gx = e.op('Conv', [g!, flipKernel(e, w, geo.G)], { group: geo.G, dilations: geo.d, pads: flipPads, kernel_shape: geo.K }, sx, e.dtype(x), 'ConvX');
  } else if (needs[0]) {
    const op = sx.slice(2).map((n, i) => n - (geo.s[i] * (sy[i + 2] - 1) + geo.d[i] * (geo.K[i] - 1) + 1 - geo.b[i] - geo.en[i]));
    if (op.some((p, i) => p < 0 || p >= Math.max(geo.s[i], geo.d[i]))) throw new GradientError(node, `unsupported conv geometry (output_padding ${op})`);
    gx = e.op('ConvTranspose', [g!, w], { group: geo.G, strides: geo.s, dilations: geo.d, pads: [...geo.b, ...geo.en], output_padding: op.some((p) => p) ? op : undefined, kernel_shape: geo.K },
      sx, e.dtype(x), 'ConvX');
  }
  if (needs[1]) {
    gw = geo.K.reduce((a, b) => a * b, 1) <= 9 ? weightGradByShifts(e, x, g!, geo, e.shape(w))
      : weightGrad(e, channelsAsBatch(e, x, geo.G), asKernel(e, g!, geo.G), geo, e.shape(w));
  }
  if (bias && needs[2]) gb = e.reduceSum(g!, [0, ...geo.K.map((_, i) => i + 2)], false);
  return [gx, gw, gb];
};

/** W [M, C/G, K…] -> [C, M/G, K…] reversed along every spatial axis. */
function flipKernel(e: Emitter, w: string, G: number): string {
  const sw = e.shape(w);
  const r = sw.length - 2;
  const sp = sw.slice(2);
  const M = sw[0], Cg = sw[1], Mg = M / G;
  let t: string;
  if (G === 1) t = e.transpose(w, [1, 0, ...sp.map((_, i) => i + 2)]);
  else {
    const five = e.reshape(w, [G, Mg, Cg, ...sp]);
    t = e.reshape(e.transpose(five, [0, 2, 1, ...sp.map((_, i) => i + 3)]), [G * Cg, Mg, ...sp]);
  }
  const axes = sp.map((_, i) => i + 2);
  const ts = e.shape(t);
  return e.op('Slice', [t, e.ints(axes.map(() => -1)), e.ints(axes.map((a) => -(ts[a] + 1))), e.ints(axes), e.ints(axes.map(() => -1))], {}, ts, e.dtype(w));
}

/**
 * Weight gradient as one batched GEMM per kernel offset: gW[:, :, k] = Σₙ gₙ · shift_k(xₙ)ᵀ,
 * where shift_k is a strided slice of the padded input. Far faster in ORT than a Conv whose
 * "kernel" is the whole gradient map.
 */
function weightGradByShifts(e: Emitter, x: string, g: string, geo: ConvGeom, wShape: number[]): string {
  const sx = e.shape(x), sg = e.shape(g);
  const N = sx[0], C = sx[1], M = sg[1], G = geo.G, Cg = C / G, Mg = M / G;
  const r = geo.r;
  const out = sg.slice(2);
  const P = out.reduce((a, b) => a * b, 1);
  const pads = new Array(2 * (r + 2)).fill(0);
  for (let i = 0; i < r; i++) { pads[i + 2] = geo.b[i]; pads[r + 2 + i + 2] = geo.en[i]; }
  const xp = e.pad(x, pads);
  const sxp = e.shape(xp);
  // g as [N, G, Mg, P]; each shifted x as [N, G, Cg, P] (transposed inside the MatMul).
  const g4 = e.reshape(g, [N, G, Mg, P]);
  const offsets: number[][] = [[]];
  for (let i = 0; i < r; i++) {
    const next: number[][] = [];
    for (const o of offsets) for (let k = 0; k < geo.K[i]; k++) next.push([...o, k]);
    offsets.splice(0, offsets.length, ...next);
  }
  const parts = offsets.map((o) => {
    const axes = o.map((_, i) => i + 2);
    const starts = o.map((k, i) => k * geo.d[i]);
    const ends = o.map((k, i) => Math.min(sxp[i + 2], k * geo.d[i] + geo.s[i] * (out[i] - 1) + 1));
    const shifted = e.slice(xp, starts, ends, axes, geo.s);
    const xs = e.reshape(shifted, [N, G, Cg, P]);
    const prod = e.op('MatMul', [g4, e.transpose(xs, [0, 1, 3, 2])], {}, [N, G, Mg, Cg], e.dtype(x));
    return e.reshape(e.reduceSum(prod, [0], false), [G * Mg, Cg, 1]);
  });
  const stacked = parts.length === 1 ? parts[0] : e.concat(parts, 2);
  return checkShape(e, e.reshape(stacked, wShape), wShape);
}

export const ConvTranspose: GradRule = ({ e, node, inputs: [x, w, bias], outputs: [y], gradOut: [g], needs }) => {
  const geo = geometry(node, e, x, w, true, y);
  let gx: string | null = null, gw: string | null = null, gb: string | null = null;
  if (needs[0]) {
    gx = e.op('Conv', [g!, w], { group: geo.G, strides: geo.s, dilations: geo.d, pads: [...geo.b, ...geo.en], kernel_shape: geo.K },
      e.shape(x), e.dtype(x), 'ConvTX');
  }
  if (needs[1]) gw = weightGrad(e, channelsAsBatch(e, g!, geo.G), asKernel(e, x, geo.G), geo, e.shape(w));
  if (bias && needs[2]) gb = e.reduceSum(g!, [0, ...geo.K.map((_, i) => i + 2)], false);
  return [gx, gw, gb];
};
