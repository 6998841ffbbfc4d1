// The built client (client/dist) at `/`, or a short page saying how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

const clientDist = fileURLToPath(new URL('../../client/dist', import.meta.url));

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>SVDiff Studio</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>SVDiff Studio</h1><p>The server is running, but the web client is not built yet.
Run <code>npm run build</code> in <code>client/</code>, then reload. The API is at <code>/api</code>.</p>`;

export function staticRoutes(dir = clientDist): Router {
  const r = Router();
  if (existsSync(dir)) {
    r.use(express.static(dir, { index: 'index.html', dotfiles: 'ignore' }));
  } else {
    r.get('/', (_req, res) => {
      res.type('html').send(NOT_BUILT);
    });
  }
  return r;
}
