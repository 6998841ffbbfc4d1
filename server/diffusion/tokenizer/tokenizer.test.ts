import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClipTokenizer, createWordLevelTokenizer, loadTokenizer, parseMerges } from './index.ts';

// CLIP's vocabulary starts with the 256 byte-level characters (GPT-2's bytes_to_unicode order:
// printable '!'…'~', '¡'…'¬', '®'…'ÿ', then the remaining bytes mapped to U+0100…), then the same
// with "</w>", then one token per merge, then <|startoftext|>, <|endoftext|>. So 'a' = 64 and
// 'a</w>' = 320 as in the real CLIP vocabulary.
function byteAlphabet(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + extra++);
    }
  }
  return cs.map((c) => String.fromCodePoint(c));
}

const MERGES = ['#version: 0.2', 'p h', 'o t', 'ph ot', 'phot o</w>', 'o f</w>', 'd o', 'do g</w>', 's k', ''].join('\n');

function tinyClipVocab(): Record<string, number> {
  const chars = byteAlphabet();
  const tokens = [...chars, ...chars.map((c) => `${c}</w>`)];
  for (const m of parseMerges(MERGES)) tokens.push(m.replace(' ', ''));
  tokens.push('<|startoftext|>', '<|endoftext|>');
  return Object.fromEntries(tokens.map((t, i) => [t, i]));
}

const BOS = 520;
const EOS = 521;

describe('CLIP BPE tokenizer', () => {
  const vocab = tinyClipVocab();
  const tok = createClipTokenizer({ vocab, merges: MERGES });

  it('builds the expected tiny vocabulary', () => {
    expect(vocab.a).toBe(64);
    expect(vocab['a</w>']).toBe(320);
    expect(vocab['photo</w>']).toBe(515);
    expect(vocab['<|startoftext|>']).toBe(BOS);
    expect(tok.vocabSize).toBe(522);
  });

  it('tokenizes "a photo of a sks dog" with merges, </w> and lowercase/whitespace cleaning', () => {
    expect(tok.tokenize('a photo of a sks dog')).toEqual(['a</w>', 'photo</w>', 'of</w>', 'a</w>', 'sk', 's</w>', 'dog</w>']);
    const ids = tok.encode('  A   Photo\tof a SKS dog ');
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 10))).toEqual([BOS, 320, 515, 516, 320, 519, 338, 518, EOS, EOS]);
    expect(ids.every((v, i) => i < 8 || v === EOS)).toBe(true); // SD 1.x pads with <|endoftext|>
    expect(tok.idsOf('sks')).toEqual([519, 338]);
  });

  it('splits digits one by one and keeps punctuation runs together (CLIP regex)', () => {
    expect(tok.tokenize('12 dog!!')).toEqual(['1</w>', '2</w>', 'dog</w>', '!', '!</w>']);
    expect(tok.tokenize("dog's")).toEqual(['dog</w>', "'", 's</w>']);
  });

  it('truncates to 75 tokens between BOS and EOS', () => {
    const ids = tok.encode(Array(100).fill('a').join(' '));
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(BOS);
    expect(ids[76]).toBe(EOS);
    expect(Array.from(ids.slice(1, 76)).every((v) => v === 320)).toBe(true);
  });

  it('pads with the configured pad token and honours model_max_length', () => {
    const t = createClipTokenizer({ vocab, merges: MERGES, padToken: '!', maxLength: 6 });
    expect(Array.from(t.encode('a dog'))).toEqual([BOS, 320, 518, EOS, 0, 0]);
    expect(() => createClipTokenizer({ vocab, merges: MERGES, padToken: '<pad>' })).toThrow(/pad token "<pad>"/);
  });
});

describe('word-level tokenizer', () => {
  const vocab = { '[PAD]': 0, '[UNK]': 1, '[BOS]': 2, '[EOS]': 3, a: 4, photo: 5, of: 6, sks: 7, dog: 8, ',': 9, xvg: 10 };
  const tok = createWordLevelTokenizer({ vocab, maxLength: 8 });

  it('lowercases, splits on whitespace and punctuation, maps unknowns to [UNK]', () => {
    expect(tok.tokenize('A SKS dog, on grass!')).toEqual(['a', 'sks', 'dog', ',', '[UNK]', '[UNK]', '[UNK]']);
    expect(Array.from(tok.encode('sks dog'))).toEqual([2, 7, 8, 3, 0, 0, 0, 0]);
    expect(tok.idsOf('constructor xvg')).toEqual([1, 10]);
    expect(tok.vocabSize).toBe(11);
  });

  it('truncates between [BOS] and [EOS]', () => {
    expect(Array.from(tok.encode('a photo of a sks dog, a dog'))).toEqual([2, 4, 5, 6, 4, 7, 8, 3]);
  });
});

describe('loadTokenizer', () => {
  const write = (files: Record<string, unknown>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  };

  it('loads an SD-style CLIP folder (pad token from special_tokens_map.json, {content} objects)', () => {
    const dir = write({
      'vocab.json': tinyClipVocab(),
      'merges.txt': MERGES,
      'tokenizer_config.json': {
        tokenizer_class: 'CLIPTokenizer',
        model_max_length: 77,
        bos_token: { __type: 'AddedToken', content: '<|startoftext|>' },
        eos_token: { __type: 'AddedToken', content: '<|endoftext|>' },
      },
      'special_tokens_map.json': { pad_token: '<|endoftext|>', unk_token: { content: '<|endoftext|>' } },
    });
    const tok = loadTokenizer(dir);
    expect(tok.kind).toBe('clip-bpe');
    expect(tok.maxLength).toBe(77);
    expect(tok.padId).toBe(EOS);
    expect(Array.from(tok.encode('a photo of a sks dog').slice(0, 9))).toEqual([BOS, 320, 515, 516, 320, 519, 338, 518, EOS]);
  });

  it('loads a word-level folder with max length from the config', () => {
    const dir = write({
      'vocab.json': { '[PAD]': 0, '[UNK]': 1, '[BOS]': 2, '[EOS]': 3, sks: 4, dog: 5 },
      'tokenizer_config.json': { tokenizer_class: 'WordLevelTokenizer', model_max_length: 5 },
    });
    const tok = loadTokenizer(dir);
    expect(tok.kind).toBe('word-level');
    expect(Array.from(tok.encode('SKS cat'))).toEqual([2, 4, 1, 3, 0]);
  });

  it('names the missing or bad file and field', () => {
    expect(() => loadTokenizer(write({}))).toThrow(/tokenizer_config\.json/);
    expect(() => loadTokenizer(write({ 'tokenizer_config.json': { tokenizer_class: 'CLIPTokenizer' }, 'vocab.json': tinyClipVocab() }))).toThrow(
      /merges\.txt/,
    );
    expect(() => loadTokenizer(write({ 'tokenizer_config.json': { tokenizer_class: 'WordLevelTokenizer', model_max_length: 8 } }))).toThrow(
      /vocab\.json/,
    );
    expect(() => loadTokenizer(write({ 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer' } }))).toThrow(/"tokenizer_class"/);
    expect(() =>
      loadTokenizer(write({ 'tokenizer_config.json': { tokenizer_class: 'WordLevelTokenizer' }, 'vocab.json': { '[UNK]': 0 } })),
    ).toThrow(/"model_max_length" is required/);
    expect(() => loadTokenizer(write({ 'tokenizer_config.json': '{oops' }))).toThrow(/tokenizer_config\.json: invalid JSON/);
  });
});
