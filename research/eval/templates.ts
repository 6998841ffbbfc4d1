// Analysis by synthesis: each shape's template is re-rendered at the pose implied by the
// observed blob (area → scale, centroid → centre) over a small grid of rotations and scales,
// and scored by soft IoU against the blob. Robust at 32×32, where moments and corner counts
// of a ~10-pixel shape are too coarse to tell a star from a cross.

import { shapeCoverage, type Pose } from '../datasets/draw.ts';
import type { ShapeName } from '../datasets/geometry.ts';
import { SHAPES } from '../datasets/vocabulary.ts';
import { maskIoU } from './mask.ts';

interface TemplateStats {
  /** Area of the shape in its unit frame. */
  area: number;
  /** Centroid in the unit frame (y up). */
  cx: number;
  cy: number;
}

let stats: Map<ShapeName, TemplateStats> | undefined;

/** Mass and centroid (pixel centres at +0.5) of a soft mask; the centroid is NaN for an empty mask. */
function moments(mask: Float32Array, width: number, height: number): { area: number; cx: number; cy: number } {
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = mask[y * width + x];
      area += c;
      sx += c * (x + 0.5);
      sy += c * (y + 0.5);
    }
  return { area, cx: sx / area, cy: sy / area };
}

/** Area and centroid of each shape, measured once on a fine raster. */
export function templateStats(): Map<ShapeName, TemplateStats> {
  if (stats) return stats;
  stats = new Map();
  const R = 256;
  const rPx = 0.4 * R;
  for (const shape of SHAPES) {
    const m = moments(shapeCoverage(shape, { cx: 0.5, cy: 0.5, radius: 0.4, rotation: 0 }, R), R, R);
    stats.set(shape, { area: m.area / (rPx * rPx), cx: (m.cx - R / 2) / rPx, cy: -(m.cy - R / 2) / rPx });
  }
  return stats;
}

export interface TemplateFit {
  shape: ShapeName;
  iou: number;
  pose: Pose;
}

/** Coarse rotation grid (degrees), refined by ±REFINE_STEP around the best; then scales around the area estimate. */
export const ROTATIONS = [-20, -10, 0, 10, 20];
export const REFINE_STEP = 5;
export const SCALES = [0.94, 1.06];

/** Best-fitting pose and IoU of every candidate shape against a soft mask. */
export function fitTemplates(soft: Float32Array, width: number, height: number, shapes: readonly ShapeName[] = SHAPES): TemplateFit[] {
  const { area, cx: mx, cy: my } = moments(soft, width, height);
  if (area <= 0) return [];
  const side = Math.min(width, height);
  const buf = new Float32Array(width * height);
  const fits: TemplateFit[] = [];
  for (const shape of shapes) {
    const st = templateStats().get(shape)!;
    const r0 = Math.sqrt(area / st.area);
    let best: TemplateFit = { shape, iou: -1, pose: { cx: 0.5, cy: 0.5, radius: 0, rotation: 0 } };
    const tryPose = (rot: number, scale: number) => {
      const r = r0 * scale;
      const th = (rot * Math.PI) / 180;
      // Where the template's centroid lands relative to its frame origin, in pixels (y down).
      const ox = r * (st.cx * Math.cos(th) - st.cy * Math.sin(th));
      const oy = -r * (st.cx * Math.sin(th) + st.cy * Math.cos(th));
      const pose: Pose = { cx: (mx - ox) / width, cy: (my - oy) / height, radius: r / side, rotation: rot };
      const iou = maskIoU(soft, shapeCoverage(shape, pose, width, height, buf));
      if (iou > best.iou) best = { shape, iou, pose };
    };
    for (const rot of ROTATIONS) tryPose(rot, 1);
    const rot = best.pose.rotation;
    tryPose(rot - REFINE_STEP, 1);
    tryPose(rot + REFINE_STEP, 1);
    const rot2 = best.pose.rotation;
    for (const sc of SCALES) tryPose(rot2, sc);
    fits.push(best);
  }
  return fits.sort((a, b) => b.iou - a.iou);
}
