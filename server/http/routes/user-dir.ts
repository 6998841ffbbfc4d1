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

/** A userdata file's bytes: its routes are left out of the JSON parser and read raw (rawBody). */
export function bodyBytes(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** The body as a JSON value: the server's JSON parser (json-body.ts) read it whatever its Content-Type. */
export function jsonBody(req: Request): unknown {
  return req.body as unknown;
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
