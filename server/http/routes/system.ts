// GET /system_stats: versions, memory, and the configured device (ComfyUI's shape, loosely).
import { freemem, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { Router } from 'express';
import type { AppContext } from '../context.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function systemRoutes(ctx: AppContext): Router {
  const r = Router();
  const appVersion = (require('../../../package.json') as { version: string }).version;
  const ortVersion = versionOf('onnxruntime-node');
  r.get('/system_stats', (_req, res) => {
    res.json({
      system: {
        os: `${platform()} ${release()}`,
        node_version: process.version,
        app_version: appVersion,
        onnxruntime_version: ortVersion,
        ram_total: totalmem(),
        ram_free: freemem(),
      },
      devices: [{ name: ctx.device, type: ctx.device, index: 0, vram_total: 0, vram_free: 0 }],
    });
  });
  return r;
}
