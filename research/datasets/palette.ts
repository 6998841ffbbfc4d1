// Named colours of the shapes dataset, with fixed RGB values in [0,1] (sRGB, no gamma work:
// images are plain RGB arrays). The values are chosen far enough apart that a 32×32 model
// can tell them apart and the procedural classifier can name them under noise.

export const COLORS = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'white', 'black'] as const;
export type ColorName = (typeof COLORS)[number];

/** Background colours: the shape colours that make good backdrops, plus the default gray. */
export const BACKGROUNDS = ['gray', 'white', 'black', 'blue', 'green', 'yellow', 'red', 'purple'] as const;
export type BackgroundName = (typeof BACKGROUNDS)[number];

/** The background of the default (most frequent) scene. */
export const DEFAULT_BACKGROUND: BackgroundName = 'gray';

export type Rgb = readonly [number, number, number];

export const RGB: Readonly<Record<ColorName | BackgroundName, Rgb>> = {
  red: [0.9, 0.12, 0.12],
  orange: [1.0, 0.55, 0.05],
  yellow: [0.98, 0.92, 0.15],
  green: [0.15, 0.7, 0.2],
  cyan: [0.15, 0.85, 0.9],
  blue: [0.15, 0.25, 0.9],
  purple: [0.55, 0.15, 0.75],
  pink: [1.0, 0.55, 0.78],
  white: [0.97, 0.97, 0.97],
  black: [0.06, 0.06, 0.06],
  gray: [0.55, 0.55, 0.55],
};

/**
 * Shape/background pairs closer than this (Euclidean RGB distance) are never drawn: the
 * shape would be hard to see (orange on yellow, purple on blue, ...).
 */
export const MIN_CONTRAST = 0.5;

export function colorDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Backgrounds a shape of colour `color` may be drawn on. */
export function backgroundsFor(color: ColorName): BackgroundName[] {
  return BACKGROUNDS.filter((bg) => bg !== color && colorDistance(RGB[bg], RGB[color]) >= MIN_CONTRAST);
}

/** The named colour nearest to `rgb` among `names` (Euclidean in RGB). */
export function nearestColor<N extends ColorName | BackgroundName>(rgb: Rgb, names: readonly N[]): { name: N; distance: number } {
  let best = names[0];
  let bestD = Infinity;
  for (const n of names) {
    const d = colorDistance(rgb, RGB[n]);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return { name: best, distance: bestD };
}
