// Caption grammar of the shapes world, and its inverse:
//   [a|an] [size] [colour] [identifier] <shape> [position phrase] [on a <bg> background]
// e.g. "a small red circle on the left on a blue background", "a sks heart".
// Optional parts are left out by attribute dropout (so the model also learns short prompts).

import { BACKGROUNDS, COLORS, type BackgroundName, type ColorName } from './palette.ts';
import {
  IDENTIFIER_TOKENS,
  POSITION_PHRASES,
  POSITIONS,
  SHAPES,
  SIZES,
  articleFor,
  type IdentifierToken,
  type PositionName,
  type SizeName,
} from './vocabulary.ts';
import type { ShapeName } from './geometry.ts';

export interface CaptionParts {
  shape: ShapeName;
  size?: SizeName;
  color?: ColorName;
  position?: PositionName;
  background?: BackgroundName;
  /** Rare token naming a personal concept ("sks"). */
  identifier?: IdentifierToken;
}

/** Builds a caption; parts left undefined are not mentioned. */
export function makeCaption(parts: CaptionParts): string {
  const noun: string[] = [];
  if (parts.size) noun.push(parts.size);
  if (parts.color) noun.push(parts.color);
  if (parts.identifier) noun.push(parts.identifier);
  noun.push(parts.shape);
  const words = [articleFor(noun[0]), ...noun];
  if (parts.position) words.push(POSITION_PHRASES[parts.position]);
  if (parts.background) words.push('on', articleFor(parts.background), parts.background, 'background');
  return words.join(' ');
}

const alt = (xs: readonly string[]) => xs.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
const CAPTION_RE = new RegExp(
  `^an? (?:(${alt(SIZES)}) )?(?:(${alt(COLORS)}) )?(?:(${alt(IDENTIFIER_TOKENS)}) )?(${alt(SHAPES)})` +
    `(?: (${alt(Object.values(POSITION_PHRASES))}))?(?: on an? (${alt(BACKGROUNDS)}) background)?$`,
);

/** Parses a caption made by `makeCaption` (whitespace and case are normalised); null if it does not fit the grammar. */
export function parseCaption(caption: string): CaptionParts | null {
  const m = CAPTION_RE.exec(caption.trim().toLowerCase().replace(/\s+/g, ' '));
  if (!m) return null;
  const parts: CaptionParts = { shape: m[4] as ShapeName };
  if (m[1]) parts.size = m[1] as SizeName;
  if (m[2]) parts.color = m[2] as ColorName;
  if (m[3]) parts.identifier = m[3] as IdentifierToken;
  if (m[5]) parts.position = POSITIONS.find((p) => POSITION_PHRASES[p] === m[5]);
  if (m[6]) parts.background = m[6] as BackgroundName;
  return parts;
}

/** Multi-subject caption: "a sks heart on the left and a xvg moon on the right". */
export function sideBySideCaption(left: string, right: string): string {
  return `${left} on the left and ${right} on the right`;
}
