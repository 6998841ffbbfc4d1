// The words of the shapes world and the tokenizer vocabulary built from them.
//
// Held-out concepts: `heart` and `moon` (a crescent) are never drawn by the base-training
// sampler. `heart` is the personalisation concept ("a sks heart"); `moon` is the second
// subject for multi-subject (Cut-Mix-Unmix) tests ("a xvg moon"). Both words are in the
// vocabulary so that prompts naming them tokenize, but the base model never sees them
// paired with their images.

import { BACKGROUNDS, COLORS } from './palette.ts';

export { BACKGROUNDS, COLORS } from './palette.ts';
export type { BackgroundName, ColorName } from './palette.ts';

/** Shapes the base model is trained on. */
export const BASE_SHAPES = ['circle', 'square', 'triangle', 'star', 'diamond', 'cross', 'ring'] as const;
/** Shapes never drawn for base training: personalisation concepts (heart first). */
export const HELD_OUT_SHAPES = ['heart', 'moon'] as const;
export const SHAPES = [...BASE_SHAPES, ...HELD_OUT_SHAPES] as const;
export type BaseShapeName = (typeof BASE_SHAPES)[number];
export type HeldOutShapeName = (typeof HELD_OUT_SHAPES)[number];

export const SIZES = ['small', 'large'] as const;
export type SizeName = (typeof SIZES)[number];

export const POSITIONS = ['center', 'left', 'right', 'top', 'bottom'] as const;
export type PositionName = (typeof POSITIONS)[number];

/** How each position reads in a caption. */
export const POSITION_PHRASES: Readonly<Record<PositionName, string>> = {
  center: 'in the center',
  left: 'on the left',
  right: 'on the right',
  top: 'at the top',
  bottom: 'at the bottom',
};

/** Rare identifier tokens for personalisation (DreamBooth-style), in the order they are handed out. */
export const IDENTIFIER_TOKENS = ['sks', 'xvg', 'zwx', 'qrb'] as const;
export type IdentifierToken = (typeof IDENTIFIER_TOKENS)[number];

export const SPECIAL_TOKENS = ['[PAD]', '[BOS]', '[EOS]', '[UNK]'] as const;

/** Function words prompts commonly use beyond the dataset captions (also for multi-subject prompts). */
export const FUNCTION_WORDS = [
  'a', 'an', 'the', 'of', 'on', 'in', 'at', 'and', 'with', 'to', 'is',
  'photo', 'picture', 'image', 'drawing', 'shape', 'background',
  'left', 'right', 'top', 'bottom', 'center', 'middle',
] as const;

/** Extra size words a user may type; only `small` / `large` appear in captions. */
const EXTRA_WORDS = ['medium', 'big', 'tiny', 'gray'] as const;

function articleFor(word: string): 'a' | 'an' {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
export { articleFor };

/** Every word any dataset, concept or side-by-side caption can use, sorted. */
export function captionWords(): string[] {
  const words = new Set<string>(['a', 'an', 'and', 'background']);
  for (const w of [...SIZES, ...COLORS, ...BACKGROUNDS, ...SHAPES, ...IDENTIFIER_TOKENS]) words.add(w);
  for (const p of Object.values(POSITION_PHRASES)) for (const w of p.split(' ')) words.add(w);
  words.add('on'); // "on a blue background", "... on the left and ..."
  return [...words].sort();
}

/**
 * The tokenizer's vocabulary in id order. Append-only: ids are part of trained models, so a
 * new word goes at the end, never in between. Specials take ids 0–3 ([PAD]=0), identifiers 4–7.
 */
export const VOCABULARY: readonly string[] = Object.freeze(
  dedupe([...SPECIAL_TOKENS, ...IDENTIFIER_TOKENS, ...FUNCTION_WORDS, ...SIZES, ...EXTRA_WORDS, ...COLORS, ...BACKGROUNDS, ...SHAPES, ...captionWords()]),
);

function dedupe(words: string[]): string[] {
  return [...new Set(words)];
}

let vocabMap: Readonly<Record<string, number>> | undefined;

/** Stable word → id map (see VOCABULARY for the order). */
export function tokenizerVocabulary(): Readonly<Record<string, number>> {
  if (!vocabMap) {
    const m: Record<string, number> = Object.create(null);
    VOCABULARY.forEach((w, i) => {
      m[w] = i;
    });
    vocabMap = Object.freeze(m);
  }
  return vocabMap;
}
