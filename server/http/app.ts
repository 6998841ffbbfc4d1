// The express app: guards first, then the API routes (with and without the /api prefix, as
// ComfyUI serves them), then the static client, then JSON 404s and errors.
import express from 'express';
import type { AppContext } from './context.ts';
import { errorHandler, notFound } from './errors.ts';
import { guard, type GuardOptions } from './security.ts';
import { jsonBodyParser } from './json-body.ts';
import { fileRoutes } from './routes/files.ts';
import { frontendRoutes } from './routes/frontend.ts';
import { modelRoutes } from './routes/models.ts';
import { settingsRoutes } from './routes/settings.ts';
import { userdataRoutes } from './routes/userdata.ts';
import { promptRoutes } from './routes/prompt.ts';
import { systemRoutes } from './routes/system.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { staticRoutes } from './static.ts';

export function createApp(ctx: AppContext, guardOpts: GuardOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(guard(guardOpts));
  // Any non-multipart body is JSON whatever its Content-Type (as ComfyUI reads it), size- and depth-capped.
  app.use(jsonBodyParser());
  const api = express.Router();
  api.use(promptRoutes(ctx));
  api.use(fileRoutes(ctx));
  api.use(workflowRoutes(ctx));
  api.use(systemRoutes(ctx));
  api.use(modelRoutes(ctx));
  api.use(userdataRoutes(ctx));
  api.use(settingsRoutes(ctx));
  api.use(frontendRoutes(ctx));
  app.use('/api', api);
  app.use('/api', notFound);
  app.use(api);
  app.use(staticRoutes());
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
