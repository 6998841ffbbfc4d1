// Reading a tokenizer folder's files with errors that name the file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'TokenizerFileError';
  }
}

export function hasFile(dir: string, name: string): boolean {
  return existsSync(join(dir, name));
}

export function readText(dir: string, name: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) throw new TokenizerFileError(file, `tokenizer file missing: ${file}`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new TokenizerFileError(file, `cannot read tokenizer file ${file}: ${(e as Error).message}`);
  }
}

export function readJsonObject(dir: string, name: string): Record<string, unknown> {
  const text = readText(dir, name);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenizerFileError(join(dir, name), `${join(dir, name)}: invalid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TokenizerFileError(join(dir, name), `${join(dir, name)}: expected a JSON object`);
  }
  return json as Record<string, unknown>;
}

/** vocab.json: token → integer id. */
export function readVocab(dir: string, name = 'vocab.json'): Record<string, number> {
  const raw = readJsonObject(dir, name);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new TokenizerFileError(join(dir, name), `${join(dir, name)}: id of ${JSON.stringify(k)} is not a non-negative integer`);
    }
  }
  return raw as Record<string, number>;
}

/** A special-token field as transformers writes it: a string or {"content": …}. */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}
