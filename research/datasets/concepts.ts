// Concept images for personalisation (a handful of pictures of one held-out subject, as a
// user would bring) and side-by-side composition for Cut-Mix-Unmix training samples.

import { makeCaption, sideBySideCaption } from './captions.ts';
import type { ShapeName } from './geometry.ts';
import type { BackgroundName, ColorName } from './palette.ts';
import { Mulberry32 } from './rng.ts';
import { DEFAULT_JITTER, DEFAULT_RESOLUTION, renderShape, type JitterRange, type ShapeAttrs, type ShapeSample } from './shapes.ts';
import { IDENTIFIER_TOKENS, type IdentifierToken, type PositionName, type SizeName } from './vocabulary.ts';

/** The look and the identifier each held-out concept gets by default. */
export const CONCEPT_DEFAULTS: Readonly<Record<string, { color: ColorName; identifier: IdentifierToken }>> = {
  heart: { color: 'red', identifier: 'sks' },
  moon: { color: 'yellow', identifier: 'xvg' },
};

export interface ConceptOptions {
  resolution?: number;
  color?: ColorName;
  background?: BackgroundName;
  /** Rare token in the caption (default per concept, else "sks"); null for the class caption "a heart". */
  identifier?: IdentifierToken | null;
  jitter?: JitterRange;
}

export interface ConceptSample extends ShapeSample {
  /** The prompt naming the class only ("a heart"), for prior preservation. */
  classCaption: string;
}

// Mostly large and centred-ish, like photos of a subject; one in three small.
const CONCEPT_POSITIONS: readonly PositionName[] = ['center', 'left', 'right', 'top', 'bottom'];

/** `count` images of one subject in a fixed colour at varied positions / sizes, captioned "a sks heart". */
export function conceptImages(shape: ShapeName, count: number, seed: number, opts: ConceptOptions = {}): ConceptSample[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`conceptImages: count must be a positive integer, got ${count}`);
  const defaults = CONCEPT_DEFAULTS[shape] ?? { color: 'red' as ColorName, identifier: IDENTIFIER_TOKENS[0] };
  const color = opts.color ?? defaults.color;
  const background = opts.background ?? 'gray';
  if (color === background) throw new RangeError(`conceptImages: colour and background are both ${color}`);
  const identifier = opts.identifier === undefined ? defaults.identifier : opts.identifier;
  const resolution = opts.resolution ?? DEFAULT_RESOLUTION;
  const jitter = opts.jitter ?? DEFAULT_JITTER;
  const rng = new Mulberry32(seed);
  const caption = makeCaption({ shape, identifier: identifier ?? undefined });
  const classCaption = makeCaption({ shape });
  const out: ConceptSample[] = [];
  for (let i = 0; i < count; i++) {
    const size: SizeName = i % 3 === 2 ? 'small' : 'large';
    const position = CONCEPT_POSITIONS[i % CONCEPT_POSITIONS.length];
    const attrs: ShapeAttrs = {
      shape,
      color,
      background,
      size,
      position,
      jitter: {
        rotation: rng.uniform(-1, 1) * jitter.rotation,
        dx: rng.uniform(-1, 1) * jitter.offset,
        dy: rng.uniform(-1, 1) * jitter.offset,
        scale: 1 + rng.uniform(-1, 1) * jitter.scale,
      },
    };
    out.push({ image: renderShape(attrs, resolution), caption, classCaption, attrs, resolution });
  }
  return out;
}

export interface ComposeInput {
  /** HWC RGB float32. */
  image: Float32Array;
  /** Subject phrase, e.g. "a sks heart". */
  caption?: string;
}

export interface SideBySide {
  /** HWC RGB float32, same size as the inputs. */
  image: Float32Array;
  /** "a sks heart on the left and a xvg moon on the right". */
  caption: string;
  width: number;
  height: number;
  /** Column ranges [start, end) each subject occupies (for attention-map penalties). */
  regions: { left: [number, number]; right: [number, number] };
}

/**
 * Cut-Mix-Unmix sample: each image squeezed to half width (averaging column pairs) and
 * placed side by side. Inputs are square unless `width`/`height` are given; width must be even.
 */
export function composeSideBySide(left: ComposeInput, right: ComposeInput, dims?: { width: number; height: number }): SideBySide {
  const n = left.image.length / 3;
  const width = dims?.width ?? Math.round(Math.sqrt(n));
  const height = dims?.height ?? width;
  if (width * height * 3 !== left.image.length || right.image.length !== left.image.length) {
    throw new RangeError(`composeSideBySide: images must both be ${width}×${height}×3 (got ${left.image.length} and ${right.image.length} floats)`);
  }
  if (width % 2 !== 0) throw new RangeError(`composeSideBySide: width must be even, got ${width}`);
  const half = width / 2;
  const out = new Float32Array(left.image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < half; x++) {
      for (const [src, ox] of [
        [left.image, 0],
        [right.image, half],
      ] as const) {
        const a = (y * width + 2 * x) * 3;
        const o = (y * width + ox + x) * 3;
        out[o] = (src[a] + src[a + 3]) / 2;
        out[o + 1] = (src[a + 1] + src[a + 4]) / 2;
        out[o + 2] = (src[a + 2] + src[a + 5]) / 2;
      }
    }
  }
  const caption = sideBySideCaption(left.caption || 'a shape', right.caption || 'a shape');
  return { image: out, caption, width, height, regions: { left: [0, half], right: [half, width] } };
}
