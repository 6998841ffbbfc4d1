// What a ComfyUI frontend asks the server about itself: GET /extensions (extension scripts to
// load), GET /features (server feature flags), GET /workflow_templates (custom-node module →
// template names) and GET /i18n (custom-node translations). The studio has no custom nodes,
// extensions or translations, so most answers are empty; its own templates are at /templates.
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { serverFeatures } from '../features.ts';

/** The static client's folder; `extensions/**\/*.js` in it are served at `/extensions/…`. */
const clientDist = fileURLToPath(new URL('../../../client/dist', import.meta.url));

async function extensionScripts(root: string): Promise<string[]> {
  const base = join(root, 'extensions');
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 8) await walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.js')) out.push('/' + relative(root, p).split(sep).map(encodeURIComponent).join('/'));
    }
  };
  await walk(base, 0);
  return out.sort();
}

export function frontendRoutes(ctx: AppContext, distDir = clientDist): Router {
  const r = Router();

  r.get('/extensions', async (_req, res) => {
    res.json(await extensionScripts(distDir));
  });

  r.get('/features', (_req, res) => {
    res.json(serverFeatures(ctx.uploadLimitBytes));
  });

  r.get('/workflow_templates', (_req, res) => {
    res.json({});
  });

  r.get('/i18n', (_req, res) => {
    res.json({});
  });

  return r;
}
