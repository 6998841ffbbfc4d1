// ComfyUI's per-user file store (app/user_manager.py): GET/POST /users, GET /userdata?dir=
// listings, GET|POST|DELETE /userdata/{file}, POST /userdata/{file}/move/{dest} and
// GET /v2/userdata?path=. Files live in data/user/<comfy-user header or "default">/; a file
// name is one URL-encoded path segment (`workflows%2Fa.json`); names that are absolute, hold
// `..`, NUL or a backslash, or lead out through a symlink are refused (403).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { Router, type Request } from 'express';
import { sanitizeName } from '../../storage.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { bodyBytes, DEFAULT_USER, jsonBody, KeyedLock, rawBody, requestUser, userRoot, usersDir } from './user-dir.ts';

/** Leftovers of writeFileAtomic (`name.<12 hex>.tmp`) are never listed. */
const TEMP_FILE = /\.[0-9a-f]{12}\.tmp$/;
const MAX_DEPTH = 32;

interface FileInfo {
  path: string;
  size: number;
  modified: number;
  created: number;
}

const toPosix = (p: string) => p.split(sep).join('/');

function flag(v: unknown): boolean {
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

function queryString(v: unknown, what: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new HttpError(400, 'invalid_request', `${what} must be a string`);
  return v;
}

function hidden(name: string): boolean {
  return name.startsWith('.') || TEMP_FILE.test(name);
}

async function fileInfo(path: string, relativeTo: string): Promise<FileInfo> {
  const st = await stat(path);
  return { path: toPosix(relative(relativeTo, path)), size: st.size, modified: Math.trunc(st.mtimeMs), created: Math.trunc(st.ctimeMs) };
}

/** Content types for GET /userdata/{file}: data only; anything a browser would run is octet-stream. */
const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export function userdataRoutes(ctx: AppContext): Router {
  const r = Router();
  const { storage } = ctx;
  const raw = rawBody(ctx.uploadLimitBytes);
  const lock = new KeyedLock();

  /** The user's folder and the resolved path of `name` inside it (PathOutsideError → 403). */
  const resolve = (req: Request, name: string | undefined, what = 'file') => {
    const root = userRoot(storage, requestUser(req));
    if (!name) throw new HttpError(400, 'invalid_request', `${what} is required`);
    return { root, path: storage.resolveInside(root, sanitizeName(name)) };
  };

  // ---- users (single-user shape, like ComfyUI without --multi-user) ----

  const usersFile = () => join(usersDir(storage), 'users.json');
  const readUsers = async (): Promise<Record<string, string>> => {
    const text = await readFile(usersFile(), 'utf8').catch(() => undefined);
    if (text === undefined) return {};
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : {};
  };

  r.get('/users', (_req, res) => {
    res.json({ storage: 'server', migrated: true });
  });

  r.post('/users', async (req, res) => {
    const b = jsonBody(req);
    const username = typeof b === 'object' && b !== null ? (b as Record<string, unknown>).username : undefined;
    if (typeof username !== 'string' || username.trim() === '') throw new HttpError(400, 'invalid_request', 'username not provided');
    const name = username.trim();
    if (name.startsWith('__')) throw new HttpError(400, 'invalid_request', 'a username may not start with "__" (reserved for system users)');
    const id = await lock.run('users.json', async () => {
      const users = await readUsers();
      if (name === DEFAULT_USER || Object.values(users).includes(name)) throw new HttpError(400, 'duplicate_user', 'Duplicate username.');
      const userId = `${name.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 160)}_${randomUUID()}`;
      users[userId] = name;
      await storage.writeFileAtomic(usersFile(), JSON.stringify(users, null, 2));
      return userId;
    });
    userRoot(storage, id);
    res.json(id);
  });

  // ---- listings ----

  /** Files under `dir` (recursively when asked), as absolute paths, sorted; symlinks that leave `root` are skipped. */
  async function listFiles(root: string, dir: string, recurse: boolean, depth = 0): Promise<string[]> {
    const out: string[] = [];
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (hidden(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (recurse && depth < MAX_DEPTH) out.push(...(await listFiles(root, p, recurse, depth + 1)));
      } else if (e.isFile()) {
        out.push(p);
      } else if (e.isSymbolicLink()) {
        // Listed only when it points at a file that is still inside the user's folder.
        try {
          storage.resolveInside(root, toPosix(relative(root, p)));
          if ((await stat(p)).isFile()) out.push(p);
        } catch {
          // outside, dangling or unreadable
        }
      }
    }
    return out;
  }

  r.get('/userdata', async (req, res) => {
    const dirName = queryString(req.query.dir, 'dir');
    if (!dirName) throw new HttpError(400, 'invalid_request', 'dir is required (a folder of the user data, e.g. "workflows")');
    const { root, path } = resolve(req, dirName, 'dir');
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new HttpError(404, 'not_found', `no folder "${dirName}"`);
    if (!st.isDirectory()) {
      res.json([]);
      return;
    }
    const files = await listFiles(root, path, flag(req.query.recurse));
    if (flag(req.query.full_info)) {
      res.json(await Promise.all(files.map((f) => fileInfo(f, path))));
      return;
    }
    const rel = files.map((f) => toPosix(relative(path, f)));
    res.json(flag(req.query.split) ? rel.map((p) => [p, ...p.split('/')]) : rel);
  });

  r.get('/v2/userdata', async (req, res) => {
    const requested = queryString(req.query.path, 'path');
    const root = userRoot(storage, requestUser(req));
    const target = requested ? storage.resolveInside(root, requested) : root;
    const st = await stat(target).catch(() => undefined);
    if (!st) throw new HttpError(404, 'not_found', `no folder "${requested}"`);
    if (!st.isDirectory()) throw new HttpError(400, 'not_a_directory', `"${requested}" is not a folder`);
    type Entry = { name: string; path: string; type: 'directory' | 'file'; size?: number; modified?: number };
    const results: Entry[] = [];
    const walk = async (dir: string, depth: number) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (TEMP_FILE.test(e.name)) continue;
        const p = join(dir, e.name);
        const rel = toPosix(relative(root, p));
        if (e.isDirectory()) {
          results.push({ name: e.name, path: rel, type: 'directory' });
          if (depth < MAX_DEPTH) await walk(p, depth + 1);
        } else if (e.isFile()) {
          const s = await stat(p).catch(() => undefined);
          results.push({ name: e.name, path: rel, type: 'file', ...(s ? { size: s.size, modified: s.mtimeMs / 1000 } : {}) });
        }
        // Symlinks are not followed here (os.walk's default in ComfyUI).
      }
    };
    await walk(target, 0);
    results.sort((a, b) => Number(a.type !== 'directory') - Number(b.type !== 'directory') || a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    res.json(results);
  });

  // ---- one file ----

  r.get('/userdata/:file', async (req, res) => {
    const { root, path } = resolve(req, req.params.file);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no user file "${req.params.file}"`);
    const isUserCss = path === join(root, 'user.css');
    const type = isUserCss ? 'text/css; charset=utf-8' : (CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
    // User files are arbitrary content: never rendered inline in the studio's origin (user.css aside).
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', isUserCss ? 'inline' : 'attachment');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(await readFile(path));
  });

  r.post('/userdata/:file', raw, async (req, res) => {
    const name = String(req.params.file);
    const { root, path } = resolve(req, name);
    const overwrite = req.query.overwrite !== 'false';
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) throw new HttpError(400, 'invalid_name', `"${name}" is a folder`);
    if (st && !overwrite) throw new HttpError(409, 'file_exists', `"${name}" already exists (overwrite=false)`);
    await storage.writeFileAtomic(path, bodyBytes(req));
    res.json(flag(req.query.full_info) ? await fileInfo(path, root) : toPosix(relative(root, path)));
  });

  r.delete('/userdata/:file', async (req, res) => {
    const { path } = resolve(req, req.params.file);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no user file "${req.params.file}"`);
    await rm(path);
    res.status(204).end();
  });

  r.post('/userdata/:file/move/:dest', async (req, res) => {
    const { root, path: source } = resolve(req, req.params.file);
    const { path: dest } = resolve(req, req.params.dest, 'dest');
    const st = await stat(source).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no user file "${req.params.file}"`);
    const dst = await stat(dest).catch(() => undefined);
    if (dst?.isDirectory()) throw new HttpError(400, 'invalid_name', `"${req.params.dest}" is a folder`);
    if (dst && req.query.overwrite === 'false') throw new HttpError(409, 'file_exists', `"${req.params.dest}" already exists (overwrite=false)`);
    if (!existsSync(dirname(dest))) await mkdir(dirname(dest), { recursive: true });
    await rename(source, dest);
    res.json(flag(req.query.full_info) ? await fileInfo(dest, root) : toPosix(relative(root, dest)));
  });

  return r;
}
