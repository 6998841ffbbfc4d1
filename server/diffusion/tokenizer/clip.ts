// CLIP's byte-level BPE tokenizer (Stable Diffusion's `tokenizer/`), run by Hugging Face's
// maintained tokenizers.js (@huggingface/tokenizers) from a tokenizer.json we assemble in memory
// from `vocab.json` + `merges.txt`, with the pipeline transformers' CLIPTokenizerFast declares:
//   normalizer   NFC → collapse whitespace runs to " " → lowercase
//   pre-tokenizer CLIP's regex  's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//                (matches kept, everything else dropped) → byte-level alphabet
//   model        BPE with end-of-word suffix "</w>", unknown → <|endoftext|>
// Framing is ours: [BOS 49406, …≤ maxLength − 2 tokens, EOS 49407, pad…] with the pad token of
// tokenizer_config.json / special_tokens_map.json (SD 1.x pads with <|endoftext|>, SD 2.x "!").
import { Tokenizer } from '@huggingface/tokenizers';
import { frameIds, type TextTokenizer } from './types.ts';

export const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface ClipTokenizerOptions {
  /** vocab.json contents (token → id). */
  vocab: Record<string, number>;
  /** merges.txt contents (the "#version" header line is skipped) or its merge lines. */
  merges: string | readonly string[];
  maxLength?: number;
  bosToken?: string;
  eosToken?: string;
  /** Defaults to the EOS token, as CLIPTokenizer does. */
  padToken?: string;
  unkToken?: string;
}

/** What we call on tokenizers.js (its published typings do not resolve under NodeNext). */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
}

export function parseMerges(merges: string | readonly string[]): string[] {
  const lines = typeof merges === 'string' ? merges.split(/\r?\n/) : merges;
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#version') || line.trim() === '') continue;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new Error(`merges.txt: malformed merge line ${JSON.stringify(line)}`);
    out.push(line);
  }
  return out;
}

export function createClipTokenizer(opts: ClipTokenizerOptions): TextTokenizer {
  const bosToken = opts.bosToken ?? '<|startoftext|>';
  const eosToken = opts.eosToken ?? '<|endoftext|>';
  const padToken = opts.padToken ?? eosToken;
  const unkToken = opts.unkToken ?? eosToken;
  const maxLength = opts.maxLength ?? 77;
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`CLIP tokenizer: model_max_length must be >= 2, got ${maxLength}`);
  const { vocab } = opts;
  const idOf = (token: string, role: string): number => {
    const id = Object.hasOwn(vocab, token) ? vocab[token] : undefined;
    if (id === undefined) throw new Error(`vocab.json: ${role} token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  const bosId = idOf(bosToken, 'bos');
  const eosId = idOf(eosToken, 'eos');
  const padId = idOf(padToken, 'pad');
  idOf(unkToken, 'unk');

  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const specials = [...new Set([bosToken, eosToken, unkToken])];
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(special),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unkToken,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: parseMerges(opts.merges),
    },
  };
  const hf = new Tokenizer(tokenizerJson, { model_max_length: maxLength }) as unknown as HfTokenizer;
  const vocabSize = new Set(Object.values(vocab)).size;

  return {
    kind: 'clip-bpe',
    maxLength,
    vocabSize,
    bosId,
    eosId,
    padId,
    idsOf: (text) => hf.encode(text, { add_special_tokens: false }).ids,
    tokenize: (text) => hf.encode(text, { add_special_tokens: false }).tokens,
    encode: (text) => frameIds(hf.encode(text, { add_special_tokens: false }).ids, maxLength, bosId, eosId, padId),
  };
}
