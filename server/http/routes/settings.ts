// ComfyUI's per-user settings (app/app_settings.py): one JSON object in
// data/user/<user>/comfy.settings.json. GET /settings → the object ({} before the first save),
// POST /settings {…} → merged in, GET /settings/{id} → the value or null, POST /settings/{id}
// <JSON value> → set. Bodies are JSON whatever their content type (ComfyUI's frontend sends
// them as text/plain).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router, type Request } from 'express';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jsonBody, KeyedLock, requestUser, userRoot } from './user-dir.ts';

export const SETTINGS_FILE = 'comfy.settings.json';

type Settings = Record<string, unknown>;

function isObject(v: unknown): v is Settings {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property, "__proto__" included (plain assignment would change the prototype instead). */
function put(s: Settings, key: string, value: unknown): void {
  Object.defineProperty(s, key, { value, enumerable: true, writable: true, configurable: true });
}

export function settingsRoutes(ctx: AppContext): Router {
  const r = Router();
  const lock = new KeyedLock();
  const fileOf = (req: Request) => join(userRoot(ctx.storage, requestUser(req)), SETTINGS_FILE);

  async function read(file: string): Promise<Settings> {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined || text.trim() === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new HttpError(500, 'corrupt_settings', `${file} is not valid JSON (${(e as Error).message}); fix or delete it`);
    }
    if (!isObject(v)) throw new HttpError(500, 'corrupt_settings', `${file} does not hold a JSON object; fix or delete it`);
    return v;
  }

  const update = (file: string, change: (s: Settings) => void) =>
    lock.run(file, async () => {
      const s = await read(file);
      change(s);
      await ctx.storage.writeFileAtomic(file, JSON.stringify(s, null, 4));
    });

  r.get('/settings', async (req, res) => {
    res.json(await read(fileOf(req)));
  });

  r.get('/settings/:id', async (req, res) => {
    const s = await read(fileOf(req));
    res.json(Object.hasOwn(s, req.params.id) ? s[req.params.id] : null);
  });

  r.post('/settings', async (req, res) => {
    const file = fileOf(req);
    const b = jsonBody(req);
    if (!isObject(b)) throw new HttpError(400, 'invalid_settings', 'the body must be a JSON object of setting id → value');
    await update(file, (s) => {
      for (const [k, v] of Object.entries(b)) put(s, k, v);
    });
    res.json({});
  });

  r.post('/settings/:id', async (req, res) => {
    const file = fileOf(req);
    const v = jsonBody(req);
    if (v === undefined) throw new HttpError(400, 'invalid_settings', 'the body must be the setting\'s value as JSON');
    const id = String(req.params.id);
    await update(file, (s) => put(s, id, v));
    res.json({});
  });

  return r;
}
