// Prompt sets that score an erased concept on the embedded model (npm run eval:erase), in the
// long caption form the model draws best: the target prompts (the concept in several
// contexts), near concepts (an erased shape: the other shapes in the target prompts' colours;
// an erased colour: its nearest colours in RGB, on the same shapes) and the rest of the world.
import { BACKGROUNDS, Mulberry32, BASE_SHAPES, COLORS, makeCaption, POSITIONS, RGB, SIZES, type ColorName, type ShapeName } from '../datasets/index.ts';

export type ConceptKind = 'shape' | 'color';

export interface ScoredPrompt {
  prompt: string;
  shape: ShapeName;
  color: ColorName;
}

export interface EraseSets {
  concept: string;
  kind: ConceptKind;
  target: ScoredPrompt[];
  near: ScoredPrompt[];
  far: ScoredPrompt[];
}

const TARGET_COLORS: readonly ColorName[] = ['red', 'blue', 'green', 'yellow'];
const TARGET_SHAPES: readonly ShapeName[] = ['circle', 'square', 'triangle', 'star'];

export function longPrompt(color: ColorName, shape: ShapeName): ScoredPrompt {
  return { prompt: `a large ${color} ${shape} in the center on a gray background`, shape, color };
}

export function conceptKind(concept: string): ConceptKind {
  if ((BASE_SHAPES as readonly string[]).includes(concept)) return 'shape';
  if ((COLORS as readonly string[]).includes(concept)) return 'color';
  throw new Error(`erase eval: "${concept}" is neither a base shape (${BASE_SHAPES.join(', ')}) nor a colour (${COLORS.join(', ')})`);
}

/** The colours nearest `c` in RGB (gray backgrounds aside). */
export function nearestColors(c: ColorName, n: number): ColorName[] {
  const d = (x: ColorName) => RGB[x].reduce((s, v, i) => s + (v - RGB[c][i]) ** 2, 0);
  return COLORS.filter((x) => x !== c).sort((a, b) => d(a) - d(b)).slice(0, n);
}

export function eraseSets(concept: string): EraseSets {
  const kind = conceptKind(concept);
  if (kind === 'shape') {
    const s = concept as ShapeName;
    const others = BASE_SHAPES.filter((x) => x !== s);
    const farColors = COLORS.filter((c) => !TARGET_COLORS.includes(c));
    return {
      concept, kind,
      target: TARGET_COLORS.map((c) => longPrompt(c, s)),
      near: others.map((x, i) => longPrompt(TARGET_COLORS[i % TARGET_COLORS.length], x)),
      far: others.map((x, i) => longPrompt(farColors[i % farColors.length], x)),
    };
  }
  const c = concept as ColorName;
  const near = nearestColors(c, 3);
  const far = COLORS.filter((x) => x !== c && !near.includes(x));
  return {
    concept, kind,
    target: TARGET_SHAPES.map((s) => longPrompt(c, s)),
    near: near.flatMap((x, i) => [longPrompt(x, TARGET_SHAPES[i % 4]), longPrompt(x, TARGET_SHAPES[(i + 2) % 4])]),
    far: far.map((x, i) => longPrompt(x, BASE_SHAPES[i % BASE_SHAPES.length])),
  };
}

/** Prompts that name none of `concepts` (preservation when several are erased at once). */
export function freeOf(prompts: readonly ScoredPrompt[], concepts: readonly string[]): ScoredPrompt[] {
  return prompts.filter((p) => !concepts.includes(p.shape) && !concepts.includes(p.color));
}

/**
 * `n` training prompts for erasing `concept`: captions of the dataset's grammar that name it,
 * every other part drawn at random (size, colour or shape, position, background, each left out
 * at random as the training captions do) — what a user would list as "the concept in context".
 */
export function conceptCaptions(concept: string, n: number, seed: number): string[] {
  const kind = conceptKind(concept);
  const rng = new Mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const maybe = <T,>(xs: readonly T[]): T | undefined => (rng.chance(0.7) ? pick(xs) : undefined);
  const out = new Set<string>();
  for (let tries = 0; out.size < n && tries < 100 * n; tries++) {
    out.add(makeCaption({
      shape: kind === 'shape' ? (concept as ShapeName) : pick(BASE_SHAPES),
      color: kind === 'color' ? (concept as ColorName) : maybe(COLORS),
      size: maybe(SIZES),
      position: maybe(POSITIONS),
      background: maybe(BACKGROUNDS),
    }));
  }
  return [...out];
}
