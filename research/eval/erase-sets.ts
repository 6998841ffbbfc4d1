// Prompt sets that score an erased concept on the embedded model (npm run eval:erase), in the
// long caption form the model draws best: the target prompts (the concept in several
// contexts), near concepts (an erased shape: the other shapes in the target prompts' colours;
// an erased colour: its nearest colours in RGB, on the same shapes) and the rest of the world.
import { BASE_SHAPES, COLORS, RGB, type ColorName, type ShapeName } from '../datasets/index.ts';

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
