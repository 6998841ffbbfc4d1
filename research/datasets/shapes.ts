// The procedural captioned dataset: one coloured shape on a solid background, with a caption
// that names its attributes. Deterministic from a seed (see rng.ts); held-out shapes
// (HELD_OUT_SHAPES: heart, moon) are never drawn unless a caller opts in explicitly.

import { makeCaption } from './captions.ts';
import { drawShape, fillBackground, type Pose } from './draw.ts';
import type { ShapeName } from './geometry.ts';
import { COLORS, DEFAULT_BACKGROUND, RGB, backgroundsFor, type BackgroundName, type ColorName } from './palette.ts';
import { Mulberry32, deriveSeed, toRng } from './rng.ts';
import { BASE_SHAPES, HELD_OUT_SHAPES, POSITIONS, SIZES, type PositionName, type SizeName } from './vocabulary.ts';

export type { ShapeName } from './geometry.ts';

/** Small random deviations from the canonical pose (part of the attributes, so rendering is a pure function of them). */
export interface PoseJitter {
  /** Degrees, counter-clockwise. */
  rotation: number;
  /** Centre offset, fraction of the image side. */
  dx: number;
  dy: number;
  /** Multiplies the size's radius. */
  scale: number;
}

export interface ShapeAttrs {
  shape: ShapeName;
  color: ColorName;
  background: BackgroundName;
  size: SizeName;
  position: PositionName;
  jitter?: PoseJitter;
}

export interface ShapeSample {
  /** RGB float32, HWC, values in [0,1], resolution × resolution. */
  image: Float32Array;
  caption: string;
  attrs: ShapeAttrs;
  resolution: number;
}

/** Radius of the shape's unit frame as a fraction of the image side. */
export const SIZE_RADIUS: Readonly<Record<SizeName, number>> = { small: 0.16, large: 0.28 };
/** How far from the centre a shape at left/right/top/bottom sits, per size (keeps it inside the frame). */
export const POSITION_OFFSET: Readonly<Record<SizeName, number>> = { small: 0.29, large: 0.17 };

export const DEFAULT_RESOLUTION = 32;

export interface JitterRange {
  /** Max |rotation| in degrees. */
  rotation: number;
  /** Max |dx|, |dy| (fraction of side). */
  offset: number;
  /** Max |scale − 1|. */
  scale: number;
}
export const DEFAULT_JITTER: JitterRange = { rotation: 8, offset: 0.02, scale: 0.06 };
export const NO_JITTER: JitterRange = { rotation: 0, offset: 0, scale: 0 };

export interface SampleOptions {
  /** Image side in pixels (default 32). */
  resolution?: number;
  /** Share of empty captions, for classifier-free guidance (default 0.1). */
  emptyCaptionRate?: number;
  /** Chance that each of size / colour / position / background is left out of a caption (default 0.15). */
  attributeDropout?: number;
  /** Shapes to draw from (default BASE_SHAPES). */
  shapes?: readonly ShapeName[];
  /** Must be true for `shapes` to include a held-out shape. */
  allowHeldOut?: boolean;
  colors?: readonly ColorName[];
  /** Share of images on the default gray background (default 0.35); the rest on other backgrounds that contrast. */
  grayShare?: number;
  jitter?: JitterRange;
}

interface ResolvedOptions {
  resolution: number;
  emptyCaptionRate: number;
  attributeDropout: number;
  shapes: readonly ShapeName[];
  colors: readonly ColorName[];
  grayShare: number;
  jitter: JitterRange;
}

function resolve(opts: SampleOptions = {}): ResolvedOptions {
  const shapes = opts.shapes ?? BASE_SHAPES;
  if (shapes.length === 0) throw new RangeError('shapes dataset: `shapes` is empty');
  const held = shapes.filter((s) => (HELD_OUT_SHAPES as readonly string[]).includes(s));
  if (held.length > 0 && !opts.allowHeldOut) {
    throw new RangeError(`shapes dataset: ${held.join(', ')} are held out of base training; pass allowHeldOut: true to draw them`);
  }
  const resolution = opts.resolution ?? DEFAULT_RESOLUTION;
  if (!Number.isInteger(resolution) || resolution < 8) throw new RangeError(`shapes dataset: resolution must be an integer ≥ 8, got ${resolution}`);
  const rate = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`shapes dataset: ${name} must be in [0,1], got ${v}`);
    return v;
  };
  const colors = opts.colors ?? COLORS;
  if (colors.length === 0) throw new RangeError('shapes dataset: `colors` is empty');
  return {
    resolution,
    emptyCaptionRate: rate('emptyCaptionRate', opts.emptyCaptionRate ?? 0.1),
    attributeDropout: rate('attributeDropout', opts.attributeDropout ?? 0.15),
    shapes,
    colors,
    grayShare: rate('grayShare', opts.grayShare ?? 0.35),
    jitter: opts.jitter ?? DEFAULT_JITTER,
  };
}

/** The pose a set of attributes stands for. */
export function poseOf(attrs: ShapeAttrs): Pose {
  const j = attrs.jitter;
  const o = POSITION_OFFSET[attrs.size];
  let cx = 0.5;
  let cy = 0.5;
  if (attrs.position === 'left') cx -= o;
  else if (attrs.position === 'right') cx += o;
  else if (attrs.position === 'top') cy -= o;
  else if (attrs.position === 'bottom') cy += o;
  return {
    cx: cx + (j?.dx ?? 0),
    cy: cy + (j?.dy ?? 0),
    radius: SIZE_RADIUS[attrs.size] * (j?.scale ?? 1),
    rotation: j?.rotation ?? 0,
  };
}

/** Renders a scene (HWC RGB float32 in [0,1]); a pure function of `attrs` and `resolution`. */
export function renderShape(attrs: ShapeAttrs, resolution = DEFAULT_RESOLUTION, out?: Float32Array): Float32Array {
  const image = out ?? new Float32Array(resolution * resolution * 3);
  if (image.length !== resolution * resolution * 3) throw new RangeError(`renderShape: output holds ${image.length} floats, need ${resolution * resolution * 3}`);
  fillBackground(image, RGB[attrs.background]);
  drawShape(image, resolution, resolution, attrs.shape, poseOf(attrs), RGB[attrs.color]);
  return image;
}

function sampleJitter(rng: Mulberry32, range: JitterRange): PoseJitter {
  // Always four draws, so the stream stays aligned whatever the range.
  const r = rng.uniform(-1, 1);
  const dx = rng.uniform(-1, 1);
  const dy = rng.uniform(-1, 1);
  const s = rng.uniform(-1, 1);
  return { rotation: r * range.rotation, dx: dx * range.offset, dy: dy * range.offset, scale: 1 + s * range.scale };
}

/** Draws the attributes and caption of one sample (no pixels). Uses a fixed number of draws. */
export function sampleAttrs(rngOrSeed: Mulberry32 | number, opts: SampleOptions = {}): { attrs: ShapeAttrs; caption: string } {
  const o = resolve(opts);
  const rng = toRng(rngOrSeed);
  const shape = rng.pick(o.shapes);
  const color = rng.pick(o.colors);
  const allowed = backgroundsFor(color);
  const others = allowed.filter((b) => b !== DEFAULT_BACKGROUND);
  const grayRoll = rng.next();
  const otherPick = rng.next();
  const background =
    allowed.includes(DEFAULT_BACKGROUND) && (grayRoll < o.grayShare || others.length === 0)
      ? DEFAULT_BACKGROUND
      : others[Math.floor(otherPick * others.length)];
  const size = rng.pick(SIZES);
  const position = rng.pick(POSITIONS);
  const jitter = sampleJitter(rng, o.jitter);
  const attrs: ShapeAttrs = { shape, color, background, size, position, jitter };
  const empty = rng.next() < o.emptyCaptionRate;
  const keep = [rng.next(), rng.next(), rng.next(), rng.next()].map((u) => u >= o.attributeDropout);
  const caption = empty
    ? ''
    : makeCaption({
        shape,
        size: keep[0] ? size : undefined,
        color: keep[1] ? color : undefined,
        position: keep[2] ? position : undefined,
        background: keep[3] ? background : undefined,
      });
  return { attrs, caption };
}

/** One random captioned image. */
export function sampleShape(rngOrSeed: Mulberry32 | number, opts: SampleOptions = {}): ShapeSample {
  const resolution = opts.resolution ?? DEFAULT_RESOLUTION;
  const { attrs, caption } = sampleAttrs(rngOrSeed, opts);
  return { image: renderShape(attrs, resolution), caption, attrs, resolution };
}

export interface DatasetBatch {
  /** count × resolution × resolution × 3, float32 NHWC in [0,1]. */
  images: Float32Array;
  captions: string[];
  attrs: ShapeAttrs[];
  resolution: number;
  count: number;
}

/** Seed of sample `index` of the dataset `seed` (each sample has its own stream: random access). */
export function sampleSeed(seed: number, index: number): number {
  return deriveSeed(seed, index);
}

/** Samples index … index+count−1 of the dataset `seed`; the same sample whichever batch it falls in. */
export function datasetBatch(seed: number, index: number, count: number, opts: SampleOptions = {}): DatasetBatch {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`datasetBatch: index must be a non-negative integer, got ${index}`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`datasetBatch: count must be a positive integer, got ${count}`);
  const o = resolve(opts);
  const px = o.resolution * o.resolution * 3;
  const images = new Float32Array(count * px);
  const captions: string[] = [];
  const attrs: ShapeAttrs[] = [];
  for (let i = 0; i < count; i++) {
    const s = sampleAttrs(new Mulberry32(sampleSeed(seed, index + i)), opts);
    renderShape(s.attrs, o.resolution, images.subarray(i * px, (i + 1) * px));
    captions.push(s.caption);
    attrs.push(s.attrs);
  }
  return { images, captions, attrs, resolution: o.resolution, count };
}
