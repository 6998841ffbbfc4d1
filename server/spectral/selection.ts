// Which layers get spectral shifts: parts (UNet, or UNet + text encoder), a layer family
// (all 2-D weights + norm scales, as the SVDiff reference does; or attention only) and an
// optional name filter (a regular expression, or a plain substring when it is not one).
import { createHash } from 'node:crypto';
import type { SpectralLayer, SpectralPart } from './layers.ts';

export const PARTS_OPTIONS = ['unet', 'unet+text_encoder'] as const;
export type PartsOption = (typeof PARTS_OPTIONS)[number];
export const LAYERS_OPTIONS = ['all', 'attention'] as const;
export type LayersOption = (typeof LAYERS_OPTIONS)[number];

export interface LayerSelection {
  parts: SpectralPart[];
  layers: LayersOption;
  /** Regex (or substring) a layer name must match; empty = every layer. */
  nameFilter: string;
}

export const DEFAULT_SELECTION: LayerSelection = { parts: ['unet'], layers: 'all', nameFilter: '' };

export function partsFromOption(option: PartsOption): SpectralPart[] {
  return option === 'unet+text_encoder' ? ['unet', 'text_encoder'] : ['unet'];
}

/** A segment of the module path that is an attention module (diffusers attn1/attn2, CLIP self_attn). */
const ATTENTION_SEGMENT = /^(attn\d*|self_attn|cross_attn|attention)$/;

export function isAttentionLayer(name: string): boolean {
  return name.split('.').some((s) => ATTENTION_SEGMENT.test(s));
}

/** Matcher for a name filter: a regular expression when it parses as one, else a substring. */
export function nameMatcher(filter: string): (name: string) => boolean {
  const f = filter.trim();
  if (f === '') return () => true;
  let re: RegExp | undefined;
  try {
    re = new RegExp(f);
  } catch {
    re = undefined;
  }
  return re ? (name) => re.test(name) : (name) => name.includes(f);
}

export function selectLayers<L extends Pick<SpectralLayer, 'name' | 'part'>>(layers: Iterable<L>, sel: LayerSelection): L[] {
  const match = nameMatcher(sel.nameFilter);
  const parts = new Set(sel.parts);
  return [...layers].filter((l) => parts.has(l.part) && (sel.layers === 'all' || isAttentionLayer(l.name)) && match(l.name));
}

/** Short stable hash of a selection (for cache keys and SVD values). */
export function selectionHash(sel: LayerSelection): string {
  const canon = JSON.stringify({ parts: [...sel.parts].sort(), layers: sel.layers, nameFilter: sel.nameFilter.trim() });
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}
