// Preservation prompts for spectral-shift training on the shapes world: captions the base
// model was trained on, for the prior batch to hold its other words in place. Never on the
// gray background and never small, so prompts that evaluate drift ("a large red circle in the
// center on a gray background") stay held out.
import { makeCaption } from './captions.ts';
import { backgroundsFor } from './palette.ts';
import { Mulberry32 } from './rng.ts';
import { BASE_SHAPES, COLORS, POSITIONS } from './vocabulary.ts';

/** `n` captions, each base shape in turn, colour, position and background drawn from `seed`. */
export function preservationPrompts(n: number, seed = 0): string[] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const shape = BASE_SHAPES[i % BASE_SHAPES.length];
    const color = rng.pick(COLORS);
    const backgrounds = backgroundsFor(color).filter((b) => b !== 'gray');
    return makeCaption({ shape, color, size: 'large', position: rng.pick(POSITIONS), background: rng.pick(backgrounds) });
  });
}
