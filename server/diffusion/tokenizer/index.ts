// Public API of the text tokenizers.
export { frameIds, type TextTokenizer } from './types.ts';
export { CLIP_SPLIT_PATTERN, createClipTokenizer, parseMerges, type ClipTokenizerOptions } from './clip.ts';
export { createWordLevelTokenizer, splitWords, type WordLevelTokenizerOptions } from './word-level.ts';
export { TokenizerFileError } from './files.ts';
export { loadTokenizer } from './load.ts';
