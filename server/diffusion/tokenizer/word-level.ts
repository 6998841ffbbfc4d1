// Word-level tokenizer of the embedded default model (tokenizer_config.json says
// "tokenizer_class": "WordLevelTokenizer"; vocab.json maps word → id). Text is lowercased
// (unless do_lower_case is false), split into runs of letters/digits/underscore and single
// punctuation characters (whitespace separates and is dropped); a word not in the vocabulary
// maps to [UNK]. The vocabulary reserves rare identifiers (`sks`, `xvg`, `zwx`, …) for
// personalisation prompts. tokenizers.js has no WordLevel model, so this is written here.
import { frameIds, type TextTokenizer } from './types.ts';

const WORD_OR_PUNCT = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

export interface WordLevelTokenizerOptions {
  vocab: Record<string, number>;
  maxLength: number;
  lowercase?: boolean;
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
}

export function splitWords(text: string, lowercase = true): string[] {
  const t = lowercase ? text.toLowerCase() : text;
  return t.match(WORD_OR_PUNCT) ?? [];
}

export function createWordLevelTokenizer(opts: WordLevelTokenizerOptions): TextTokenizer {
  const { vocab, maxLength } = opts;
  const lowercase = opts.lowercase ?? true;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new RangeError(`word-level tokenizer: max length must be an integer >= 2, got ${maxLength}`);
  }
  const idOf = (token: string, role: string): number => {
    const id = Object.hasOwn(vocab, token) ? vocab[token] : undefined;
    if (id === undefined) throw new Error(`vocab.json: ${role} token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  const bosId = idOf(opts.bosToken ?? '[BOS]', 'bos');
  const eosId = idOf(opts.eosToken ?? '[EOS]', 'eos');
  const padId = idOf(opts.padToken ?? '[PAD]', 'pad');
  const unkToken = opts.unkToken ?? '[UNK]';
  const unkId = idOf(unkToken, 'unk');
  const vocabSize = new Set(Object.values(vocab)).size;
  // Own-property lookups only: a prompt word like "constructor" must not hit Object.prototype.
  const lookup = new Map(Object.entries(vocab));

  const idsOf = (text: string): number[] => splitWords(text, lowercase).map((w) => lookup.get(w) ?? unkId);
  return {
    kind: 'word-level',
    maxLength,
    vocabSize,
    bosId,
    eosId,
    padId,
    idsOf,
    tokenize: (text) => splitWords(text, lowercase).map((w) => (lookup.has(w) ? w : unkToken)),
    encode: (text) => frameIds(idsOf(text), maxLength, bosId, eosId, padId),
  };
}
