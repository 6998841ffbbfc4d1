// Durability: `kill -9` the server mid-prompt; after a restart the queue still holds the
// running prompt (first) and the pending one, and history keeps what had finished.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WsClient, chain, queuePrompt, req, spawnServer, tempDir, until, waitForHistory, type SpawnedServer } from './helpers.ts';

const spawned: SpawnedServer[] = [];
afterEach(async () => {
  for (const s of spawned.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
});

function ids(q: { queue_running: unknown[][]; queue_pending: unknown[][] }): string[] {
  return [...q.queue_running, ...q.queue_pending].map((t) => t[1] as string);
}

describe('restart after kill -9', () => {
  it('keeps queued prompts (the running one first) and finished history', async () => {
    const dataDir = tempDir();
    const first = await spawnServer(['--data-dir', dataDir]);
    spawned.push(first);
    const done = await queuePrompt(first.url, chain(5, undefined, 'done'));
    await waitForHistory(first.url, done);
    const slow = await queuePrompt(first.url, chain(6, { class_type: 'TestSlow', inputs: { seconds: 120 } }, 'slow'));
    const second = await queuePrompt(first.url, chain(7, undefined, 'second'));
    await until(async () => (await req(`${first.url}/api/queue`)).json.queue_running[0]?.[1] === slow, 30_000, 'the slow prompt to run');

    first.child.kill('SIGKILL');
    await first.exited;
    // A write torn by the crash leaves a temp file; it must be ignored.
    writeFileSync(join(dataDir, 'queue', `${second}.json.0123abcd.tmp`), '{"trunc');

    const again = await spawnServer(['--data-dir', dataDir]);
    spawned.push(again);
    const q = (await req(`${again.url}/api/queue`)).json;
    expect(ids(q)).toEqual([slow, second]);
    const h = (await req(`${again.url}/api/history`)).json;
    expect(Object.keys(h)).toEqual([done]);
    expect(h[done].status.status_str).toBe('success');

    // The re-queued prompt really runs again: interrupt it, then the second one completes.
    await until(async () => (await req(`${again.url}/api/queue`)).json.queue_running[0]?.[1] === slow, 30_000, 'the slow prompt to run again');
    await until(async () => (await req(`${again.url}/api/interrupt`, 'POST', { prompt_id: slow })).json.interrupted === true, 30_000, 'interrupt');
    expect((await waitForHistory(again.url, second)).status.status_str).toBe('success');
    expect((await waitForHistory(again.url, slow)).status.messages.at(-1)[0]).toBe('execution_interrupted');
    const numbers = Object.values((await req(`${again.url}/api/history`)).json).map((e: any) => e.prompt[0]);
    expect(new Set(numbers).size).toBe(3);

    // A clean stop (SIGTERM) exits 0.
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 180_000);

  it('stops a worker left computing by a killed server', async () => {
    const dataDir = tempDir();
    const first = await spawnServer(['--data-dir', dataDir]);
    spawned.push(first);
    const ws = await WsClient.open(first.url, 'orphan-client');
    const busy = await queuePrompt(first.url, chain(8, { class_type: 'TestBusy', inputs: { seconds: 60 } }, 'orphan'), { client_id: 'orphan-client' });
    // Running is not enough: until the busy node starts, the worker's event loop would see the
    // server go and exit by itself. Node 2 is the busy one.
    await ws.waitFor((m) => m.type === 'executing' && m.data.prompt_id === busy && m.data.node === '2');
    ws.close();
    const pid = Number(readFileSync(join(dataDir, 'worker.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await first.exited;
    // Busy in a synchronous loop, the worker cannot notice its server is gone.
    expect(isAlive(pid)).toBe(true);

    const again = await spawnServer(['--data-dir', dataDir]);
    spawned.push(again);
    await until(() => !isAlive(pid), 10_000, 'the old worker to be stopped');
    // The warning goes to stderr, a separate pipe from the "listening" line: wait for it to arrive.
    await until(() => again.output().includes(`stopped node worker ${pid}`), 10_000, 'the server to report the stopped worker');
    // Clean shutdown stops the re-run prompt's worker too and forgets its pid.
    again.child.kill('SIGTERM');
    expect(await again.exited, again.output()).toBe(0);
    expect(existsSync(join(dataDir, 'worker.pid'))).toBe(false);
  }, 180_000);
});

/** Running (a killed process nobody has reaped yet, a zombie, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
