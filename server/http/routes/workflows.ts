// Saved workflows (UI format) as JSON files in data/workflows: list, read, save, delete.
// A name is one path component; `.json` is appended; symlinks leading out are refused.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';

const MAX_NAME = 200;

function fileName(name: string): string {
  const n = name.endsWith('.json') ? name.slice(0, -5) : name;
  if (!n || n.length > MAX_NAME || n.startsWith('.') || /[\/\\\0]/.test(n) || /[\x00-\x1f]/.test(n)) {
    throw new HttpError(400, 'invalid_name', `bad workflow name "${name}": one file name, no "/", "\\" or leading "."`);
  }
  return `${n}.json`;
}

export function workflowRoutes(ctx: AppContext): Router {
  const r = Router();
  const dir = ctx.storage.workflowsDir;
  const pathOf = (name: string) => ctx.storage.resolveInside(dir, fileName(name));

  r.get('/workflows', async (_req, res) => {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const list = [];
    for (const n of names.sort()) {
      try {
        const st = await stat(ctx.storage.resolveInside(dir, n));
        if (st.isFile()) list.push({ name: n.slice(0, -5), size: st.size, modified: st.mtimeMs });
      } catch {
        // Dangling or outside symlinks are not listed.
      }
    }
    res.json(list);
  });

  r.get('/workflows/:name', async (req, res) => {
    const path = pathOf(req.params.name);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) throw new HttpError(404, 'not_found', `no workflow "${req.params.name}"`);
    res.type('application/json').send(text);
  });

  r.put('/workflows/:name', async (req, res) => {
    const path = pathOf(req.params.name);
    const b: unknown = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b) || !req.is('application/json')) {
      throw new HttpError(400, 'invalid_workflow', 'the body must be a JSON object (Content-Type: application/json)');
    }
    await ctx.storage.writeFileAtomic(path, JSON.stringify(b));
    res.json({ name: fileName(req.params.name).slice(0, -5) });
  });

  r.delete('/workflows/:name', async (req, res) => {
    const path = pathOf(req.params.name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no workflow "${req.params.name}"`);
    await rm(path);
    res.json({ deleted: fileName(req.params.name).slice(0, -5) });
  });

  return r;
}
