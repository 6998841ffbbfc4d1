// GET /system_stats (ComfyUI's field names, plus this studio's own versions) and POST /free.
import { freemem, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jsonBody } from './user-dir.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** process.argv with the value of --auth-token hidden. */
export function redactedArgv(argv: readonly string[] = process.argv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--auth-token=')) out.push('--auth-token=***');
    else if (a === '--auth-token') {
      out.push(a);
      if (i + 1 < argv.length) {
        out.push('***');
        i++;
      }
    } else out.push(a);
  }
  return out;
}

export function systemRoutes(ctx: AppContext): Router {
  const r = Router();
  const appVersion = (require('../../../package.json') as { version: string }).version;
  const ortVersion = versionOf('onnxruntime-node');
  r.get('/system_stats', (_req, res) => {
    const ramTotal = totalmem();
    const ramFree = freemem();
    // ComfyUI reports system RAM as the CPU device's VRAM; GPU memory is not known here (0).
    const onCpu = ctx.device === 'cpu';
    res.json({
      system: {
        // ComfyUI's os.name ("posix" / "nt"); SDKs pick path separators from it.
        os: process.platform === 'win32' ? 'nt' : 'posix',
        platform: `${platform()} ${release()}`,
        ram_total: ramTotal,
        ram_free: ramFree,
        comfyui_version: appVersion,
        python_version: `n/a (Node.js ${process.version})`,
        pytorch_version: `n/a (onnxruntime-node ${ortVersion})`,
        embedded_python: false,
        argv: redactedArgv(),
        node_version: process.version,
        app_version: appVersion,
        onnxruntime_version: ortVersion,
      },
      devices: [
        {
          name: ctx.device,
          type: ctx.device,
          index: 0,
          vram_total: onCpu ? ramTotal : 0,
          vram_free: onCpu ? ramFree : 0,
          torch_vram_total: 0,
          torch_vram_free: 0,
        },
      ],
    });
  });

  // ComfyUI: {unload_models?, free_memory?} sets flags the executor acts on between prompts.
  // Here it is accepted and does nothing: the node worker has no message to drop its output
  // cache or models (server/engine/worker-protocol.ts: only run and interrupt), and the cache is
  // bounded by size (cacheBytes) anyway. A restarted server starts with an empty worker.
  r.post('/free', (req, res) => {
    const b = jsonBody(req) ?? {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new HttpError(400, 'invalid_request', 'the body must be a JSON object {unload_models?, free_memory?}');
    const o = b as Record<string, unknown>;
    res.json({ unload_models: o.unload_models === true, free_memory: o.free_memory === true, freed: false });
  });
  return r;
}
