// The express app: guards first, then the API routes (with and without the /api prefix, as
// ComfyUI serves them), then the static client, then JSON 404s and errors.
import express from 'express';
import type { AppContext } from './context.ts';
import { errorHandler, notFound } from './errors.ts';
import { guard, type GuardOptions } from './security.ts';
import { fileRoutes } from './routes/files.ts';
import { promptRoutes } from './routes/prompt.ts';
import { systemRoutes } from './routes/system.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { staticRoutes } from './static.ts';

/** Prompts carry the UI workflow in extra_pnginfo; keep room for large graphs. */
const JSON_LIMIT = '32mb';

export function createApp(ctx: AppContext, guardOpts: GuardOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(guard(guardOpts));
  app.use(express.json({ limit: JSON_LIMIT }));
  const api = express.Router();
  api.use(promptRoutes(ctx));
  api.use(fileRoutes(ctx));
  api.use(workflowRoutes(ctx));
  api.use(systemRoutes(ctx));
  app.use('/api', api);
  app.use('/api', notFound);
  app.use(api);
  app.use(staticRoutes());
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
