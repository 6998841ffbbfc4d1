// loadTokenizer(dir): picks the tokenizer a model folder declares in tokenizer_config.json
// (`tokenizer_class`: CLIPTokenizer[Fast] → CLIP BPE from vocab.json + merges.txt;
// WordLevelTokenizer → word-level from vocab.json). Special tokens come from
// tokenizer_config.json, then special_tokens_map.json, then the tokenizer's defaults.
import { join } from 'node:path';
import { createClipTokenizer } from './clip.ts';
import { hasFile, readJsonObject, readText, readVocab, tokenContent, TokenizerFileError } from './files.ts';
import type { TextTokenizer } from './types.ts';
import { createWordLevelTokenizer } from './word-level.ts';

const CONFIG = 'tokenizer_config.json';
const SPECIALS = 'special_tokens_map.json';
// transformers writes int(1e30) when a tokenizer has no length limit.
const UNBOUNDED = 1e9;

export function loadTokenizer(dir: string): TextTokenizer {
  const config = readJsonObject(dir, CONFIG);
  const specials = hasFile(dir, SPECIALS) ? readJsonObject(dir, SPECIALS) : {};
  const special = (name: string): string | undefined => tokenContent(config[name]) ?? tokenContent(specials[name]);
  const configFile = join(dir, CONFIG);

  const maxLengthFrom = (fallback: number | undefined): number => {
    const v = config.model_max_length ?? config.max_length;
    if (v === undefined || v === null || (typeof v === 'number' && v >= UNBOUNDED)) {
      if (fallback !== undefined) return fallback;
      throw new TokenizerFileError(configFile, `${configFile}: field "model_max_length" is required`);
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 2) {
      throw new TokenizerFileError(configFile, `${configFile}: field "model_max_length" must be an integer >= 2, got ${JSON.stringify(v)}`);
    }
    return v;
  };

  const cls = config.tokenizer_class;
  if (cls === 'CLIPTokenizer' || cls === 'CLIPTokenizerFast') {
    return createClipTokenizer({
      vocab: readVocab(dir),
      merges: readText(dir, 'merges.txt'),
      maxLength: maxLengthFrom(77),
      bosToken: special('bos_token'),
      eosToken: special('eos_token'),
      padToken: special('pad_token'),
      unkToken: special('unk_token'),
    });
  }
  if (cls === 'WordLevelTokenizer') {
    const lower = config.do_lower_case;
    return createWordLevelTokenizer({
      vocab: readVocab(dir),
      maxLength: maxLengthFrom(undefined),
      lowercase: typeof lower === 'boolean' ? lower : true,
      bosToken: special('bos_token'),
      eosToken: special('eos_token'),
      padToken: special('pad_token'),
      unkToken: special('unk_token'),
    });
  }
  throw new TokenizerFileError(
    configFile,
    `${configFile}: field "tokenizer_class" must be "CLIPTokenizer" or "WordLevelTokenizer", got ${JSON.stringify(cls)}`,
  );
}
