// Cut-Mix-Unmix (SVDiff §3.3) for two or more subjects: a training sample is the subjects'
// images side by side (each squeezed into its own vertical strip, so every subject is seen
// whole) with a prompt naming each by position, e.g. "a sks heart on the left and a xvg moon
// on the right". Each subject owns a region; strip borders fall on latent cells so a region
// is exact at latent resolution. The "unmix" part penalises an identifier's cross-attention
// outside its subject's region: `unmixMask` marks those (position, token) pairs.
import type { RgbImage } from '../../image/index.ts';
import { resizeImage } from '../../image/index.ts';

/** Column range [x0, x1) of a subject, in latent cells. */
export interface Region {
  x0: number;
  x1: number;
}

const PLACES: Readonly<Record<number, readonly string[]>> = {
  2: ['on the left', 'on the right'],
  3: ['on the left', 'in the middle', 'on the right'],
  4: ['on the far left', 'on the left', 'on the right', 'on the far right'],
};
export const MAX_MIX_SUBJECTS = 4;

/** "A on the left and B on the right" (2–4 subjects, left to right). */
export function mixPrompt(prompts: readonly string[]): string {
  const places = PLACES[prompts.length];
  if (!places) throw new RangeError(`Cut-Mix: 2 to ${MAX_MIX_SUBJECTS} subjects can be mixed, got ${prompts.length}`);
  const parts = prompts.map((p, i) => `${p.trim()} ${places[i]}`);
  return parts.length === 2 ? `${parts[0]} and ${parts[1]}` : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Latent column ranges of n equal strips of a `latentWidth`-wide latent (borders rounded to cells). */
export function stripRegions(n: number, latentWidth: number): Region[] {
  if (!Number.isInteger(n) || n < 1 || n > latentWidth) throw new RangeError(`Cut-Mix: cannot split ${latentWidth} latent columns into ${n} strips`);
  return Array.from({ length: n }, (_, k) => ({ x0: Math.round((k * latentWidth) / n), x1: Math.round(((k + 1) * latentWidth) / n) }));
}

/**
 * The images side by side in one width×height frame: image k, resized (area filter) to its
 * strip, fills columns [x0·downscale, x1·downscale). Returns the frame and the regions.
 */
export function composeSideBySide(images: readonly RgbImage[], width: number, height: number, downscale: number): { image: RgbImage; regions: Region[] } {
  if (width % downscale !== 0 || height % downscale !== 0) throw new RangeError(`Cut-Mix: ${width}×${height} is not a multiple of the latent factor ${downscale}`);
  const regions = stripRegions(images.length, width / downscale);
  const data = new Float32Array(width * height * 3);
  images.forEach((img, k) => {
    const px0 = regions[k].x0 * downscale;
    const w = (regions[k].x1 - regions[k].x0) * downscale;
    const strip = resizeImage(img, w, height, 'area');
    for (let r = 0; r < height; r++) data.set(strip.data.subarray(r * w * 3, (r + 1) * w * 3), (r * width + px0) * 3);
  });
  return { image: { width, height, data }, regions };
}

/** 1 inside the region, 0 outside, on an h×w grid that is `latentWidth` cells wide at full size (cell centres decide). */
export function regionMask(region: Region, latentWidth: number, h: number, w: number): Float32Array {
  const m = new Float32Array(h * w);
  const f = latentWidth / w;
  for (let j = 0; j < w; j++) {
    const c = (j + 0.5) * f;
    if (c >= region.x0 && c < region.x1) for (let i = 0; i < h; i++) m[i * w + j] = 1;
  }
  return m;
}

/** Positions of every occurrence of the token sequence `needle` in `ids`. */
export function tokenPositions(ids: ArrayLike<number>, needle: readonly number[]): number[] {
  const out: number[] = [];
  if (needle.length === 0) return out;
  for (let i = 0; i + needle.length <= ids.length; i++) {
    let hit = true;
    for (let k = 0; k < needle.length && hit; k++) hit = ids[i + k] === needle[k];
    if (hit) for (let k = 0; k < needle.length; k++) out.push(i + k);
  }
  return out;
}

export interface MixedItem {
  regions: Region[];
  /** Per subject (same order as regions): token positions of its identifier in the prompt. */
  tokens: number[][];
}

/**
 * The unmix mask of one attention map [positions = h·w, tokens = L] for one batch item:
 * 1 where the token is subject k's identifier and the position lies outside k's region.
 */
export function unmixMask(item: MixedItem, latentWidth: number, h: number, w: number, L: number): Float32Array {
  const m = new Float32Array(h * w * L);
  item.regions.forEach((region, k) => {
    const inside = regionMask(region, latentWidth, h, w);
    for (let p = 0; p < h * w; p++) {
      if (inside[p]) continue;
      for (const t of item.tokens[k]) if (t < L) m[p * L + t] = 1;
    }
  });
  return m;
}
