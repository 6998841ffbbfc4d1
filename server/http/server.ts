// createServer: the whole studio server in one call — registry, durable queue + history,
// node worker, express app and WebSocket hub — listening on host:port (0 = a free port).
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadRegistry } from '../engine/registry.ts';
import { bindRefusal, DEFAULTS, type ServerOptions } from '../config.ts';
import { HistoryStore } from '../engine/history-store.ts';
import { PromptQueue } from '../engine/prompt-queue.ts';
import { QueueStore } from '../engine/queue-store.ts';
import { WorkerHost } from '../engine/worker-host.ts';
import { createStorage } from '../storage.ts';
import { seedExampleData } from '../example-inputs.ts';
import { createApp } from './app.ts';
import type { AppContext } from './context.ts';
import type { EngineEvent } from '../engine/events.ts';
import { WsHub } from './ws-hub.ts';
import { serverFeatures } from './features.ts';

export interface RunningServer {
  /** e.g. http://127.0.0.1:8188 */
  url: string;
  port: number;
  queue: PromptQueue;
  worker: WorkerHost;
  close(): Promise<void>;
}

export class BindRefusedError extends Error {}

export async function createServer(opts: Partial<ServerOptions> & { dataDir: string }): Promise<RunningServer> {
  const host = opts.host ?? DEFAULTS.host;
  const refused = bindRefusal(host, opts.authToken);
  if (refused) throw new BindRefusedError(refused);
  const device = opts.device ?? DEFAULTS.device;

  const storage = createStorage({ dataDir: opts.dataDir, modelsDir: opts.modelsDir });
  seedExampleData(storage);
  const registry = await loadRegistry(opts.nodesDir);
  const worker = new WorkerHost({
    dataDir: storage.dataDir,
    modelsDir: storage.modelsDir,
    nodesDir: opts.nodesDir,
    device,
    cacheBytes: opts.cacheBytes ?? DEFAULTS.cacheBytes,
    graceMs: opts.interruptGraceMs ?? DEFAULTS.interruptGraceMs,
    pidFile: join(storage.dataDir, 'worker.pid'),
  });

  let hub: WsHub | undefined;
  let executing: { event: EngineEvent; clientId: string | undefined } | undefined;
  const queue = await PromptQueue.open({
    queueStore: new QueueStore(join(storage.dataDir, 'queue')),
    history: new HistoryStore(join(storage.dataDir, 'history'), opts.historyLimit ?? DEFAULTS.historyLimit),
    runner: worker,
    onEvent: (e, clientId) => {
      if (e.type === 'executing') executing = e.data.node === null ? undefined : { event: e, clientId };
      hub?.sendEvent(e, clientId);
    },
    onChange: () => hub?.broadcastStatus(),
  });

  const guardOpts = { host, authToken: opts.authToken };
  const uploadLimitBytes = opts.uploadLimitBytes ?? DEFAULTS.uploadLimitBytes;
  hub = new WsHub(
    guardOpts,
    () => queue.remaining,
    () => (executing && queue.runningItem?.promptId === (executing.event.data as { prompt_id: string }).prompt_id ? executing : undefined),
    () => serverFeatures(uploadLimitBytes),
  );
  const ctx: AppContext = {
    registry,
    storage,
    env: { storage },
    queue,
    interrupt: (id) => queue.interrupt(id),
    device,
    uploadLimitBytes,
    historyLimit: opts.historyLimit ?? DEFAULTS.historyLimit,
  };
  const http = createHttpServer(createApp(ctx, guardOpts));
  hub.attach(http);
  // Start the worker in the background; the first prompt waits for it if needed.
  worker.start().catch((e: unknown) => console.error(`node worker failed to start: ${(e as Error).message}`));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? DEFAULTS.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    queue,
    worker,
    close: () =>
      (closed ??= (async () => {
        queue.close();
        await worker.close();
        await hub!.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
        await queue.flush();
      })()),
  };
}
