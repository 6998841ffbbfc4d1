// PNG text chunks: tEXt (Latin-1), zTXt (deflated Latin-1) and iTXt (UTF-8, maybe deflated).
// Writing: pure-ASCII text goes in tEXt, which every reader (ComfyUI's client included)
// understands; anything else goes in iTXt so UTF-8 survives.
import { inflateSync } from 'node:zlib';
import type { PngChunk } from './png-chunks.ts';

/** Guards against zip bombs in compressed text chunks. */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function checkKeyword(key: string): void {
  // PNG spec: 1-79 Latin-1 characters, no NUL, no leading/trailing/double spaces.
  if (key.length < 1 || key.length > 79 || /[^\x20-\x7e\xa1-\xff]/.test(key) || key !== key.trim()) {
    throw new Error(`invalid PNG text keyword "${key}" (1-79 printable Latin-1 characters)`);
  }
}

export function encodeTextChunk(key: string, value: string): PngChunk {
  checkKeyword(key);
  const keyBytes = Uint8Array.from(key, (c) => c.charCodeAt(0));
  if (/^[\x00-\x7f]*$/.test(value)) {
    const data = new Uint8Array(keyBytes.length + 1 + value.length);
    data.set(keyBytes, 0);
    for (let i = 0; i < value.length; i++) data[keyBytes.length + 1 + i] = value.charCodeAt(i);
    return { type: 'tEXt', data };
  }
  // iTXt: keyword \0 flag=0 method=0 language \0 translated-keyword \0 text
  const text = utf8Encoder.encode(value);
  const data = new Uint8Array(keyBytes.length + 5 + text.length);
  data.set(keyBytes, 0);
  data.set(text, keyBytes.length + 5);
  return { type: 'iTXt', data };
}

function inflateText(data: Uint8Array): Uint8Array {
  return inflateSync(data, { maxOutputLength: MAX_TEXT_BYTES });
}

/** Decodes a tEXt, zTXt or iTXt chunk; returns undefined for other chunk types. */
export function decodeTextChunk(chunk: PngChunk): [string, string] | undefined {
  const { type, data } = chunk;
  if (type !== 'tEXt' && type !== 'zTXt' && type !== 'iTXt') return undefined;
  const nul = data.indexOf(0);
  if (nul < 1) throw new Error(`malformed PNG ${type} chunk (no keyword)`);
  const key = latin1.decode(data.subarray(0, nul));
  if (type === 'tEXt') return [key, latin1.decode(data.subarray(nul + 1))];
  if (type === 'zTXt') {
    if (data[nul + 1] !== 0) throw new Error(`PNG zTXt chunk "${key}" uses an unknown compression method`);
    return [key, latin1.decode(inflateText(data.subarray(nul + 2)))];
  }
  const compressed = data[nul + 1] === 1;
  if (compressed && data[nul + 2] !== 0) throw new Error(`PNG iTXt chunk "${key}" uses an unknown compression method`);
  const langEnd = data.indexOf(0, nul + 3);
  const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
  if (transEnd < 0) throw new Error(`malformed PNG iTXt chunk "${key}"`);
  const body = data.subarray(transEnd + 1);
  return [key, utf8.decode(compressed ? inflateText(body) : body)];
}
