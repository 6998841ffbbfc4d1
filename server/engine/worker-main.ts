// The node worker: a child process that owns the node registry and the output cache and runs
// one prompt at a time. Synchronous ORT runs block only this process, never the HTTP server;
// a native crash here fails the running prompt, and the server starts a fresh worker.
import { loadRegistry, type NodeRegistry } from './registry.ts';
import { concreteDevice } from '../config.ts';
import { createStorage } from '../storage.ts';
import { executePrompt, OutputCache } from './index.ts';
import { WORKER_CONFIG_ENV, type FromWorker, type RunRequest, type ToWorker, type WorkerConfig } from './worker-protocol.ts';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('worker-main must be started with an IPC channel (child_process.fork)');
  // The server went away: nothing else would ever end this process.
  process.on('disconnect', () => process.exit(0));

  const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '{}') as WorkerConfig;
  let registry: NodeRegistry;
  try {
    registry = await loadRegistry(config.nodesDir);
  } catch (e) {
    send({ t: 'fatal', message: `cannot load nodes: ${(e as Error).stack ?? e}` });
    process.exit(1);
  }
  const storage = createStorage({ dataDir: config.dataDir, modelsDir: config.modelsDir });
  const runtime = { device: await concreteDevice(config.device) };
  const cache = new OutputCache(config.cacheBytes);
  let current: { promptId: string; controller: AbortController } | undefined;

  async function run(req: RunRequest): Promise<void> {
    const controller = new AbortController();
    current = { promptId: req.promptId, controller };
    try {
      const result = await executePrompt(req, {
        registry,
        cache,
        storage,
        runtime,
        signal: controller.signal,
        emit: (event) => send({ t: 'event', promptId: req.promptId, event }),
      });
      send({ t: 'done', promptId: req.promptId, result });
    } finally {
      current = undefined;
    }
  }

  process.on('message', (msg: ToWorker) => {
    if (msg.t === 'run') {
      run(msg.req).catch((e: unknown) => {
        // executePrompt reports node errors itself; this is a bug in the engine: let the host report it.
        console.error(e);
        process.exit(70);
      });
    } else if (msg.t === 'interrupt') {
      if (current && (msg.promptId === current.promptId || msg.promptId === '*')) current.controller.abort();
    }
  });
  send({ t: 'ready' });
}

main().catch((e: unknown) => {
  send({ t: 'fatal', message: String((e as Error).stack ?? e) });
  process.exit(1);
});
