// Scores generated images against what their prompt asked for: the classifier's reading of
// each attribute the prompt names is compared with the prompt. Side-by-side prompts
// ("a sks heart on the left and a xvg moon on the right") are scored half by half.

import { parseCaption, type CaptionParts } from '../datasets/captions.ts';
import type { ColorName } from '../datasets/palette.ts';
import { classifyHalves, classifyImage, type Classification, type ClassifyOptions } from './classify.ts';

export type Expected = Omit<CaptionParts, 'identifier' | 'shape'> & { shape?: CaptionParts['shape'] };
const KEYS = ['shape', 'color', 'background', 'size', 'position'] as const;
export type AttributeKey = (typeof KEYS)[number];

export interface Score {
  /** Per named attribute: did the image show it? */
  matches: Partial<Record<AttributeKey, boolean>>;
  /** Share of named attributes matched (1 when nothing was named). */
  accuracy: number;
  classification: Classification;
}

/** Compares one single-subject image with the attributes it should show. */
export function scoreImage(image: Float32Array, expected: Expected, width?: number, height?: number, opts?: ClassifyOptions): Score {
  return compare(classifyImage(image, width, height, opts), expected);
}

function compare(c: Classification, expected: Expected): Score {
  const matches: Partial<Record<AttributeKey, boolean>> = {};
  for (const k of KEYS) if (expected[k] !== undefined) matches[k] = c[k] === expected[k];
  const vals = Object.values(matches);
  return { matches, accuracy: vals.length ? vals.filter(Boolean).length / vals.length : 1, classification: c };
}

/** What a personal identifier stands for (its look), e.g. { sks: { color: 'red' } }: merged into expectations. */
export type IdentifierLooks = Readonly<Record<string, { color?: ColorName }>>;

/** Expected attributes named by a caption; null when the caption is not in the shapes grammar. */
export function expectedFromCaption(caption: string, looks: IdentifierLooks = {}): Expected | null {
  const p = parseCaption(caption);
  if (!p) return null;
  const { identifier, ...rest } = p;
  const look = identifier ? looks[identifier] : undefined;
  return { ...rest, ...(look?.color && !rest.color ? { color: look.color } : {}) };
}

const SIDE_RE = /^(.*) on the left and (.*) on the right$/;

/** Scores an image against its prompt: single subject, or two subjects side by side. */
export function scoreAgainstCaption(
  image: Float32Array,
  caption: string,
  opts: { looks?: IdentifierLooks; width?: number; height?: number; classify?: ClassifyOptions } = {},
): { accuracy: number; parts: Score[] } | null {
  const side = SIDE_RE.exec(caption.trim());
  if (side) {
    const l = expectedFromCaption(side[1], opts.looks);
    const r = expectedFromCaption(side[2], opts.looks);
    if (!l || !r) return null;
    const halves = classifyHalves(image, opts.width, opts.height, opts.classify);
    const parts = [compare(halves.left, l), compare(halves.right, r)];
    return { accuracy: (parts[0].accuracy + parts[1].accuracy) / 2, parts };
  }
  const e = expectedFromCaption(caption, opts.looks);
  if (!e) return null;
  const s = scoreImage(image, e, opts.width, opts.height, opts.classify);
  return { accuracy: s.accuracy, parts: [s] };
}
