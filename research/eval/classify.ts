// Procedural classifier for the shapes world: names the shape, its colour, the background,
// its position and size in an RGB image (HWC float32 in [0,1], any resolution ≥ 16).
// Used to score generated images (does "a sks heart on a blue background" show one?).

import { COLORS, BACKGROUNDS, nearestColor, type BackgroundName, type ColorName, type Rgb } from '../datasets/palette.ts';
import type { ShapeName } from '../datasets/geometry.ts';
import type { Pose } from '../datasets/draw.ts';
import { SIZE_RADIUS } from '../datasets/shapes.ts';
import { SHAPES, type PositionName, type SizeName } from '../datasets/vocabulary.ts';
import { extractForeground } from './mask.ts';
import { fitTemplates } from './templates.ts';

export interface BBox {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

export interface Classification {
  /** Best-fitting shape, or "none" when no foreground stands out. */
  shape: ShapeName | 'none';
  /** Soft IoU of the best template (0 when none). */
  shapeScore: number;
  /** Softmax over template IoUs (temperature 0.05); empty when none. */
  confidences: Partial<Record<ShapeName, number>>;
  /** False when there is no foreground or the best template fits poorly (IoU < 0.6) or barely beats the runner-up. */
  certain: boolean;
  color: ColorName | 'none';
  background: BackgroundName;
  /** Measured RGB of shape and background. */
  foregroundRgb: Rgb | null;
  backgroundRgb: Rgb;
  position: PositionName | 'none';
  size: SizeName | 'none';
  /** Binary foreground mask (H×W). */
  mask: Uint8Array;
  bbox: BBox | null;
  /** Foreground pixel count (of the binary mask). */
  area: number;
  /** Fitted template pose (resolution-independent), null when none. */
  pose: Pose | null;
}

export interface ClassifyOptions {
  /** Candidate shapes (default: all, held-out ones included). */
  shapes?: readonly ShapeName[];
  /** Below this shape/background RGB distance the image counts as empty (default 0.15). */
  minContrast?: number;
}

/** Position word for a shape centre given as fractions of width/height. */
export function classifyPosition(cx: number, cy: number, centerTolerance = 0.08): PositionName {
  const dx = cx - 0.5;
  const dy = cy - 0.5;
  if (Math.max(Math.abs(dx), Math.abs(dy)) < centerTolerance) return 'center';
  if (Math.abs(dx) >= Math.abs(dy)) return dx < 0 ? 'left' : 'right';
  return dy < 0 ? 'top' : 'bottom';
}

/** Size word for a fitted radius (fraction of the image side): split at the geometric mean of the dataset's sizes. */
export function classifySize(radius: number): SizeName {
  return radius < Math.sqrt(SIZE_RADIUS.small * SIZE_RADIUS.large) ? 'small' : 'large';
}

function bboxOf(mask: Uint8Array, width: number, height: number): BBox | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (mask[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** Classifies a single-shape image; `height` defaults to `width`, `width` to a square's side. */
export function classifyImage(image: Float32Array, width?: number, height?: number, opts: ClassifyOptions = {}): Classification {
  const w = width ?? Math.round(Math.sqrt(image.length / 3));
  const h = height ?? w;
  if (w * h * 3 !== image.length) throw new RangeError(`classifyImage: ${image.length} floats is not a ${w}×${h} RGB image`);
  if (w < 16 || h < 16) throw new RangeError(`classifyImage: image must be at least 16×16, got ${w}×${h}`);
  const fgr = extractForeground(image, w, h, opts.minContrast ?? 0.15);
  const bgRgb = fgr?.background ?? meanColor(image);
  const background = nearestColor(bgRgb, BACKGROUNDS).name;
  const area = fgr ? fgr.mask.reduce((s, v) => s + v, 0) : 0;
  // A blob of a few pixels is noise, not a shape.
  if (!fgr || area < Math.max(4, 0.004 * w * h)) {
    return {
      shape: 'none', shapeScore: 0, confidences: {}, certain: false, color: 'none', background,
      foregroundRgb: null, backgroundRgb: bgRgb, position: 'none', size: 'none',
      mask: new Uint8Array(w * h), bbox: null, area: 0, pose: null,
    };
  }
  const fits = fitTemplates(fgr.soft, w, h, opts.shapes ?? SHAPES);
  const best = fits[0];
  const z = fits.map((f) => Math.exp((f.iou - best.iou) / 0.05));
  const zs = z.reduce((s, v) => s + v, 0);
  const confidences: Partial<Record<ShapeName, number>> = {};
  fits.forEach((f, i) => (confidences[f.shape] = z[i] / zs));
  const margin = fits.length > 1 ? best.iou - fits[1].iou : 1;
  return {
    shape: best.shape,
    shapeScore: best.iou,
    confidences,
    certain: best.iou >= 0.6 && margin >= 0.02,
    color: nearestColor(fgr.foreground, COLORS).name,
    background,
    foregroundRgb: fgr.foreground,
    backgroundRgb: bgRgb,
    position: classifyPosition(best.pose.cx, best.pose.cy),
    size: classifySize(best.pose.radius),
    mask: fgr.mask,
    bbox: bboxOf(fgr.mask, w, h),
    area,
    pose: best.pose,
  };
}

function meanColor(image: Float32Array): Rgb {
  let r = 0;
  let g = 0;
  let b = 0;
  const n = image.length / 3;
  for (let i = 0; i < image.length; i += 3) {
    r += image[i];
    g += image[i + 1];
    b += image[i + 2];
  }
  return [r / n, g / n, b / n];
}

/** Splits a side-by-side (Cut-Mix-Unmix) image into halves, stretches each back to full width, and classifies both. */
export function classifyHalves(image: Float32Array, width?: number, height?: number, opts: ClassifyOptions = {}): { left: Classification; right: Classification } {
  const w = width ?? Math.round(Math.sqrt(image.length / 3));
  const h = height ?? w;
  if (w % 2 !== 0) throw new RangeError(`classifyHalves: width must be even, got ${w}`);
  const half = w / 2;
  const stretch = (ox: number) => {
    const out = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        // Nearest-neighbour in the half: each source column becomes two.
        const s = (y * w + ox + (x >> 1)) * 3;
        const o = (y * w + x) * 3;
        out[o] = image[s];
        out[o + 1] = image[s + 1];
        out[o + 2] = image[s + 2];
      }
    return out;
  };
  return { left: classifyImage(stretch(0), w, h, opts), right: classifyImage(stretch(half), w, h, opts) };
}
