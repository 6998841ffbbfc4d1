// Anti-aliased rasteriser for the procedural shapes: 4×4 supersampling with a box filter,
// evaluated only where needed. A pixel whose centre lies farther than half a pixel diagonal
// from the outline (by the conservative SDF) is wholly inside or outside, so only the
// outline pixels pay for 16 samples. Images are RGB float32 HWC in [0,1].

import { BOUND_RADIUS, SHAPE_SDFS, type ShapeName } from './geometry.ts';
import type { Rgb } from './palette.ts';

/** Where a shape sits in the image, in resolution-independent units. */
export interface Pose {
  /** Centre, as a fraction of width / height (0.5 = middle). */
  cx: number;
  cy: number;
  /** Radius of the shape's unit frame, as a fraction of min(width, height). */
  radius: number;
  /** Counter-clockwise rotation in degrees. */
  rotation: number;
}

/** Samples per axis per pixel. */
export const SUPERSAMPLE = 4;

/**
 * Calls `emit(index, coverage)` for every pixel the shape may touch (coverage in [0,1]),
 * in row-major order; pixels it skips have coverage 0.
 */
function rasterize(shape: ShapeName, pose: Pose, width: number, height: number, emit: (i: number, c: number) => void): void {
  const sdf = SHAPE_SDFS[shape];
  if (!sdf) throw new RangeError(`unknown shape "${shape}"`);
  const rPx = pose.radius * Math.min(width, height);
  if (!(rPx > 0)) return;
  const cxPx = pose.cx * width;
  const cyPx = pose.cy * height;
  const th = (pose.rotation * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const inv = 1 / rPx;
  const edge = 0.75 * inv; // a bit over half a pixel's diagonal, in local units
  const reach = BOUND_RADIUS * rPx + 1;
  const x0 = Math.max(0, Math.floor(cxPx - reach));
  const x1 = Math.min(width - 1, Math.ceil(cxPx + reach));
  const y0 = Math.max(0, Math.floor(cyPx - reach));
  const y1 = Math.min(height - 1, Math.ceil(cyPx + reach));
  const ss = SUPERSAMPLE;
  const w = 1 / (ss * ss);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      // Local frame: scaled, y up, rotated by -θ.
      const dx = (x + 0.5 - cxPx) * inv;
      const dy = -(y + 0.5 - cyPx) * inv;
      const d = sdf(cos * dx + sin * dy, -sin * dx + cos * dy);
      let c: number;
      if (d > edge) continue;
      if (d < -edge) c = 1;
      else {
        let hits = 0;
        for (let sy = 0; sy < ss; sy++) {
          const py = -(y + (sy + 0.5) / ss - cyPx) * inv;
          for (let sx = 0; sx < ss; sx++) {
            const px = (x + (sx + 0.5) / ss - cxPx) * inv;
            if (sdf(cos * px + sin * py, -sin * px + cos * py) < 0) hits++;
          }
        }
        if (hits === 0) continue;
        c = hits * w;
      }
      emit(y * width + x, c);
    }
  }
}

/** Coverage mask (H×W, values in [0,1]) of one shape. */
export function shapeCoverage(shape: ShapeName, pose: Pose, width: number, height = width, out?: Float32Array): Float32Array {
  const mask = out ?? new Float32Array(width * height);
  if (out) mask.fill(0);
  rasterize(shape, pose, width, height, (i, c) => {
    mask[i] = c;
  });
  return mask;
}

/** Fills `image` (HWC RGB) with `background`. */
export function fillBackground(image: Float32Array, background: Rgb): void {
  const [r, g, b] = background;
  for (let i = 0; i < image.length; i += 3) {
    image[i] = r;
    image[i + 1] = g;
    image[i + 2] = b;
  }
}

/** Blends a shape of colour `color` over the existing pixels of `image` (HWC RGB). */
export function drawShape(image: Float32Array, width: number, height: number, shape: ShapeName, pose: Pose, color: Rgb): void {
  const [r, g, b] = color;
  rasterize(shape, pose, width, height, (i, c) => {
    const o = i * 3;
    image[o] += (r - image[o]) * c;
    image[o + 1] += (g - image[o + 1]) * c;
    image[o + 2] += (b - image[o + 2]) * c;
  });
}
