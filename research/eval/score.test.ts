import { describe, expect, it } from 'vitest';
import { composeSideBySide, conceptImages } from '../datasets/concepts.ts';
import { renderShape } from '../datasets/shapes.ts';
import { expectedFromCaption, scoreAgainstCaption, scoreImage } from './score.ts';

describe('scoring images against prompts', () => {
  const img = renderShape({ shape: 'star', color: 'blue', background: 'yellow', size: 'small', position: 'top' }, 32);

  it('matches every attribute the prompt names, and flags the wrong ones', () => {
    const ok = scoreAgainstCaption(img, 'a small blue star at the top on a yellow background')!;
    expect(ok.accuracy).toBe(1);
    expect(ok.parts[0].matches).toEqual({ shape: true, color: true, background: true, size: true, position: true });
    const bad = scoreAgainstCaption(img, 'a large blue cross at the top')!;
    expect(bad.parts[0].matches).toEqual({ shape: false, color: true, size: false, position: true });
    expect(bad.accuracy).toBe(0.5);
    expect(scoreAgainstCaption(img, 'a photo of a dog')).toBeNull();
    expect(scoreImage(img, {}).accuracy).toBe(1);
  });

  it('resolves identifiers through their look, and scores side-by-side prompts per half', () => {
    expect(expectedFromCaption('a sks heart', { sks: { color: 'red' } })).toEqual({ shape: 'heart', color: 'red' });
    const [h] = conceptImages('heart', 1, 2, { resolution: 64 });
    const [m] = conceptImages('moon', 1, 3, { resolution: 64 });
    const s = composeSideBySide(h, m);
    const looks = { sks: { color: 'red' as const }, xvg: { color: 'yellow' as const } };
    expect(scoreAgainstCaption(s.image, s.caption, { looks })!.accuracy).toBe(1);
    const swapped = scoreAgainstCaption(s.image, 'a xvg moon on the left and a sks heart on the right', { looks })!;
    expect(swapped.accuracy).toBe(0);
  });
});
