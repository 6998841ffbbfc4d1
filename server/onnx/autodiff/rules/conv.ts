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
  if (needs[0]) {
    const op = sx.slice(2).map((n, i) => n - (geo.s[i] * (sy[i + 2] - 1) + geo.d[i] * (geo.K[i] - 1) + 1 - geo.b[i] - geo.en[i]));
    if (op.some((p, i) => p < 0 || p >= Math.max(geo.s[i], geo.d[i]))) throw new GradientError(node, `unsupported conv geometry (output_padding ${op})`);
    gx = e.op('ConvTranspose', [g!, w], { group: geo.G, strides: geo.s, dilations: geo.d, pads: [...geo.b, ...geo.en], output_padding: op.some((p) => p) ? op : undefined, kernel_shape: geo.K },
      sx, e.dtype(x), 'ConvX');
  }
  if (needs[1]) gw = weightGrad(e, channelsAsBatch(e, x, geo.G), asKernel(e, g!, geo.G), geo, e.shape(w));
  if (bias && needs[2]) gb = e.reduceSum(g!, [0, ...geo.K.map((_, i) => i + 2)], false);
  return [gx, gw, gb];
};

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
