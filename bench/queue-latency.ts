// Queue latency under load: while a node computes synchronously for 10 s in the worker,
// GET /api/queue is called back to back; the HTTP thread must stay responsive.
// Target: p99 ≤ 50 ms. Run alone: `npx tsx bench/queue-latency.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { createServer } from '../server/http/server.ts';

const BUSY_SECONDS = 10;
const IDLE_SECONDS = 3;
const fixtureNodes = fileURLToPath(new URL('../test/fixtures/nodes', import.meta.url));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Back-to-back GET /api/queue until `end` (or until nothing runs any more); sorted latencies, ms. */
async function hammer(url: string, end: number): Promise<number[]> {
  const latencies: number[] = [];
  let sawRunning = false;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await fetch(`${url}/api/queue`);
    const body = (await res.json()) as { queue_running: unknown[] };
    latencies.push(performance.now() - t);
    if (body.queue_running.length > 0) sawRunning = true;
    else if (sawRunning) break;
  }
  return latencies.sort((a, b) => a - b);
}

export async function benchQueueLatency(): Promise<Record<string, string | number>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'svdiff-bench-'));
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, nodesDir: fixtureNodes });
  try {
    await server.worker.start();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?clientId=bench`);
    const busyStarted = new Promise<void>((resolve) =>
      ws.on('message', (raw, binary) => {
        if (binary) return;
        const m = JSON.parse(raw.toString()) as { type: string; data: { node?: string } };
        if (m.type === 'executing' && m.data.node === '2') resolve();
      }),
    );
    await new Promise((r) => ws.once('open', r));
    // Baseline with an idle worker: separates this machine's own noise from the worker's effect.
    const idle = await hammer(server.url, performance.now() + IDLE_SECONDS * 1000);
    const prompt = {
      '1': { class_type: 'TestConstant', inputs: { value: 1 } },
      '2': { class_type: 'TestBusy', inputs: { value: ['1', 0], seconds: BUSY_SECONDS } },
      '3': { class_type: 'TestSavePng', inputs: { value: ['2', 0], filename_prefix: 'bench' } },
    };
    const queued = await fetch(`${server.url}/api/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt, client_id: 'bench' }) });
    if (!queued.ok) throw new Error(`queueing failed: ${await queued.text()}`);
    await busyStarted;

    const latencies = await hammer(server.url, performance.now() + BUSY_SECONDS * 1000 - 500);
    ws.close();
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      'busy node seconds': BUSY_SECONDS,
      requests: latencies.length,
      'GET /api/queue p50 ms': r(percentile(latencies, 50)),
      'GET /api/queue p99 ms (target ≤ 50)': r(percentile(latencies, 99)),
      'GET /api/queue max ms': r(latencies[latencies.length - 1]),
      'idle worker: p50 / p99 / max ms': `${r(percentile(idle, 50))} / ${r(percentile(idle, 99))} / ${r(idle[idle.length - 1])}`,
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchQueueLatency().then(
    (r) => {
      for (const [k, v] of Object.entries(r)) console.log(`${k}: ${v}`);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
