// Per-user storage shared by the userdata, users and settings routes (ComfyUI's layout): the
// user comes from the `comfy-user` header ("default" without one), their files live in
// data/user/<user>/, and every name inside is resolved with storage.resolveInside.
// Also: the raw-body parser these routes use and a JSON reader that copes with any body.
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type RequestHandler } from 'express';
import type { Storage } from '../../core/index.ts';
import { HttpError } from '../errors.ts';

export const DEFAULT_USER = 'default';
/** What ComfyUI's add_user makes ids of (`[a-zA-Z0-9-_]`, then `_<uuid>`); `__` is its system-user prefix. */
const USER_ID = /^[A-Za-z0-9_-]{1,200}$/;
const SYSTEM_PREFIX = '__';

/** data/user: one folder per user, plus users.json. */
export function usersDir(storage: Storage): string {
  const dir = join(storage.dataDir, 'user');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The request's user id: the `comfy-user` header, or "default". Anything but `[A-Za-z0-9_-]` → 403. */
export function requestUser(req: Request): string {
  const h = req.headers['comfy-user'];
  const user = Array.isArray(h) ? h[0] : h;
  if (user === undefined || user === '') return DEFAULT_USER;
  if (!USER_ID.test(user) || user.startsWith(SYSTEM_PREFIX)) {
    throw new HttpError(403, 'invalid_user', `unknown user ${JSON.stringify(user.slice(0, 100))}: a user id is 1-200 of A-Z a-z 0-9 _ - and does not start with "__"`);
  }
  return user;
}

/** The real path of the user's folder (created on first use), inside data/user. */
export function userRoot(storage: Storage, user: string): string {
  const base = usersDir(storage);
  const dir = storage.resolveInside(base, user);
  mkdirSync(dir, { recursive: true });
  return realpathSync(dir);
}

/**
 * Reads the body whatever content type it came with: these routes' own raw parser leaves a
 * Buffer; a global JSON parser that ran first leaves the parsed value (or a string).
 */
export function bodyBytes(req: Request): Buffer {
  const b: unknown = req.body;
  if (Buffer.isBuffer(b)) return b;
  if (b === undefined) return Buffer.alloc(0);
  // Already parsed as JSON upstream (a string here is a parsed JSON string): the original bytes
  // are gone, so the value is stored re-serialised.
  return Buffer.from(JSON.stringify(b), 'utf8');
}

/** The body as a JSON value; `undefined` when there is none. Bad JSON → 400. */
export function jsonBody(req: Request): unknown {
  const b: unknown = req.body;
  // Anything but a Buffer was parsed upstream (a JSON body parser); take it as it is.
  if (!Buffer.isBuffer(b)) return b;
  const text = b.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Raw bytes of any content type (clients send userdata as text/plain, octet-stream or JSON). */
export function rawBody(limitBytes: number): RequestHandler {
  return express.raw({ type: () => true, limit: limitBytes });
}

/** Runs read-modify-write jobs on one key one after another (settings, users.json). */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
