// Saved workflows (UI format) as JSON files in data/workflows: list, read, save, rename, delete;
// and the repository's example workflows (workflows/*.json) as read-only templates.
// A name is one path component; `.json` is appended; symlinks leading out are refused.
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { PathOutsideError, resolveInside } from '../../storage.ts';
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

/** Example workflows shipped with the repository, offered read-only as templates. */
const templatesDir = fileURLToPath(new URL('../../../workflows', import.meta.url));

async function listJson(dir: string): Promise<Array<{ name: string; size: number; modified: number }>> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  const list = [];
  for (const n of names.sort()) {
    try {
      const st = await stat(resolveInside(dir, n));
      if (st.isFile()) list.push({ name: n.slice(0, -5), size: st.size, modified: st.mtimeMs });
    } catch {
      // Dangling or outside symlinks are not listed.
    }
  }
  return list;
}

export function workflowRoutes(ctx: AppContext): Router {
  const r = Router();
  const dir = ctx.storage.workflowsDir;
  const pathOf = (name: string) => ctx.storage.resolveInside(dir, fileName(name));

  r.get('/workflows', async (_req, res) => {
    res.json(await listJson(dir));
  });

  r.get('/templates', async (_req, res) => {
    res.json(await listJson(templatesDir));
  });
  r.get('/templates/:name', async (req, res) => {
    const name = fileName(req.params.name);
    let text: string;
    try {
      text = await readFile(resolveInside(templatesDir, name), 'utf8');
    } catch (e) {
      if (e instanceof PathOutsideError) throw e;
      throw new HttpError(404, 'not_found', `no template "${req.params.name}"`);
    }
    res.type('application/json').send(text);
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
    // Any Content-Type (as every JSON route here); an empty body arrives as {} and is refused too.
    if (typeof b !== 'object' || b === null || Array.isArray(b) || Object.keys(b).length === 0) {
      throw new HttpError(400, 'invalid_workflow', 'the body must be a workflow: a non-empty JSON object');
    }
    await ctx.storage.writeFileAtomic(path, JSON.stringify(b));
    res.json({ name: fileName(req.params.name).slice(0, -5) });
  });

  // Body {name, overwrite?}: the file is renamed in place (409 when the new name exists, unless overwrite).
  r.post('/workflows/:name/rename', async (req, res) => {
    const from = pathOf(req.params.name);
    const b = req.body as { name?: unknown; overwrite?: unknown } | undefined;
    if (typeof b?.name !== 'string') throw new HttpError(400, 'invalid_request', 'the body must name the new workflow name: {"name": "…"}');
    const to = pathOf(b.name);
    const st = await stat(from).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no workflow "${req.params.name}"`);
    const newName = fileName(b.name).slice(0, -5);
    if (to !== from) {
      if (b.overwrite !== true && (await stat(to).catch(() => undefined))) throw new HttpError(409, 'exists', `a workflow "${newName}" exists already`);
      await rename(from, to);
    }
    res.json({ name: newName });
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
