// What a ComfyUI frontend asks the server about itself: GET /extensions (extension scripts to
// load), GET /features (server feature flags), GET /workflow_templates (custom-node module →
// template names) and GET /i18n (custom-node translations). The studio has no custom nodes,
// extensions or translations, so most answers are empty; its own templates are at /templates.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { serverFeatures } from '../features.ts';
import { listFiles } from '../list-files.ts';

/** The static client's folder; `extensions/**\/*.js` in it are served at `/extensions/…`. */
const clientDist = fileURLToPath(new URL('../../../client/dist', import.meta.url));

/** The client's extension scripts as the URLs a ComfyUI frontend imports. */
async function extensionScripts(root: string): Promise<string[]> {
  const files = await listFiles(join(root, 'extensions'), (n) => n.endsWith('.js'));
  return files.map((f) => '/extensions/' + f.split('/').map(encodeURIComponent).join('/'));
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
