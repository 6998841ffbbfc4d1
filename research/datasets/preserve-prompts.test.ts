import { describe, expect, it } from 'vitest';
import { parseCaption } from './captions.ts';
import { preservationPrompts } from './preserve-prompts.ts';
import { BASE_SHAPES } from './vocabulary.ts';

describe('preservationPrompts', () => {
  it('captions of the base world, every base shape, large, never on gray; same seed, same list', () => {
    const ps = preservationPrompts(14, 3);
    expect(ps).toHaveLength(14);
    const parts = ps.map((p) => parseCaption(p));
    expect(parts.every((p) => p !== null && p.size === 'large' && p.background !== undefined && p.background !== 'gray' && p.position !== undefined)).toBe(true);
    expect(new Set(parts.map((p) => p!.shape))).toEqual(new Set(BASE_SHAPES));
    expect(parts.every((p) => p!.color !== p!.background)).toBe(true);
    expect(preservationPrompts(14, 3)).toEqual(ps);
    expect(preservationPrompts(14, 4)).not.toEqual(ps);
  });
});
