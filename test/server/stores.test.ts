// The durable stores and the prompt queue without a server: temp files from torn writes,
// history bounds, ordering, and what survives a restart.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../server/engine/events.ts';
import { HistoryStore, type HistoryEntry } from '../../server/engine/history-store.ts';
import { JsonDir } from '../../server/engine/json-dir.ts';
import { PromptQueue, type PromptRunner } from '../../server/engine/prompt-queue.ts';
import { QueueStore } from '../../server/engine/queue-store.ts';
import type { RunRequest, RunResult } from '../../server/engine/worker-protocol.ts';
import { chain, tempDir, until } from './helpers.ts';

function entry(n: number, id: string): HistoryEntry {
  return { prompt: [n, id, {}, {}, []], outputs: {}, status: { status_str: 'success', completed: true, messages: [] }, meta: {} };
}

describe('JsonDir', () => {
  it('skips and sweeps temp files, sets corrupt files aside, and lets a later remove win over an earlier put', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), '{"x":1}');
    writeFileSync(join(dir, 'b.json.1234.tmp'), '{"x":');
    writeFileSync(join(dir, 'c.json'), '{"x":');
    const files = new JsonDir<{ x: number }>(dir);
    expect(await files.loadAll()).toEqual([{ key: 'a', value: { x: 1 } }]);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'c.json.corrupt']);
    const put = files.put('d', { x: 2 });
    const removed = files.remove('d');
    await Promise.all([put, removed]);
    expect(existsSync(join(dir, 'd.json'))).toBe(false);
    await expect(files.put('../evil', { x: 3 })).rejects.toThrow(/unsafe/);
  });
});

describe('HistoryStore', () => {
  it('keeps the newest entries up to the limit, on disk too, and reloads them in order', async () => {
    const dir = tempDir();
    const h = new HistoryStore(dir, 3);
    await h.load();
    for (let i = 1; i <= 5; i++) await h.add(`p${i}`, entry(i, `p${i}`));
    expect(Object.keys(h.list())).toEqual(['p3', 'p4', 'p5']);
    expect(readdirSync(dir).sort()).toEqual(['p3.json', 'p4.json', 'p5.json']);
    expect(Object.keys(h.list(2))).toEqual(['p4', 'p5']);
    expect(Object.keys(h.list(1, 1))).toEqual(['p4']);
    const again = new HistoryStore(dir, 3);
    await again.load();
    expect(Object.keys(again.list())).toEqual(['p3', 'p4', 'p5']);
    expect(again.maxNumber()).toBe(5);
    await again.delete(['p4']);
    await again.clear();
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** A runner that finishes each prompt when told to. */
class FakeRunner implements PromptRunner {
  readonly started: RunRequest[] = [];
  private finishers = new Map<string, (r: RunResult) => void>();
  run(req: RunRequest, emit: (e: EngineEvent) => void): Promise<RunResult> {
    this.started.push(req);
    emit({ type: 'execution_start', data: { prompt_id: req.promptId, timestamp: 1 } });
    return new Promise((resolve) => this.finishers.set(req.promptId, resolve));
  }
  interrupt(): boolean {
    return true;
  }
  finish(id: string, status: RunResult['status'] = 'success'): void {
    this.finishers.get(id)!({ status, outputs: { '3': { images: [] } }, executed: ['3'], cached: [] });
  }
}

async function openQueue(dataDir: string, runner: PromptRunner) {
  const events: Array<[string, string | undefined]> = [];
  let changes = 0;
  const q = await PromptQueue.open({
    queueStore: new QueueStore(join(dataDir, 'queue')),
    history: new HistoryStore(join(dataDir, 'history'), 100),
    runner,
    onEvent: (e, client) => events.push([e.type, client]),
    onChange: () => changes++,
  });
  return { q, events, changes: () => changes };
}


describe('PromptQueue', () => {
  it('runs in number order, front first, records history and forwards events with the client id', async () => {
    const dir = tempDir();
    const runner = new FakeRunner();
    const { q, events, changes } = await openQueue(dir, runner);
    const a = await q.enqueue({ prompt: chain(1), outputs: ['3'], clientId: 'me' });
    const b = await q.enqueue({ prompt: chain(2), outputs: ['3'] });
    const c = await q.enqueue({ prompt: chain(3), outputs: ['3'], front: true });
    expect(q.runningItem?.promptId).toBe(a.promptId);
    expect(q.pendingItems.map((i) => i.promptId)).toEqual([c.promptId, b.promptId]);
    expect(q.remaining).toBe(3);
    expect(events[0]).toEqual(['execution_start', 'me']);
    expect(changes()).toBeGreaterThan(0);
    runner.finish(a.promptId);
    await until(() => runner.started.length === 2);
    expect(q.runningItem?.promptId).toBe(c.promptId);
    runner.finish(c.promptId, 'error');
    await until(() => runner.started.length === 3);
    runner.finish(b.promptId);
    await q.idle();
    expect(runner.started.map((r) => r.promptId)).toEqual([a.promptId, c.promptId, b.promptId]);
    expect(q.history.get(a.promptId)!.prompt[3]).toEqual({ client_id: 'me' });
    expect(q.history.get(c.promptId)!.status).toMatchObject({ status_str: 'error', completed: false });
    expect(q.history.get(a.promptId)!.status.messages).toEqual([['execution_start', { prompt_id: a.promptId, timestamp: 1 }]]);
    expect(readdirSync(join(dir, 'queue'))).toEqual([]);
    await expect(q.enqueue({ prompt: chain(1), outputs: ['3'], promptId: a.promptId })).rejects.toThrow(/already used/);
  });

  it('starts a held prompt only once its hold ends (its POST answer is sent), keeping queue order', async () => {
    const runner = new FakeRunner();
    const { q, events } = await openQueue(tempDir(), runner);
    let answered!: () => void;
    const a = await q.enqueue({ prompt: chain(1), outputs: ['3'], clientId: 'sdk', startAfter: new Promise<void>((r) => (answered = r)) });
    const b = await q.enqueue({ prompt: chain(2), outputs: ['3'] });
    await new Promise((r) => setTimeout(r, 50));
    // Nothing ran and no event went out, and the later prompt did not jump ahead.
    expect(runner.started).toEqual([]);
    expect(events).toEqual([]);
    expect(q.pendingItems.map((i) => i.promptId)).toEqual([a.promptId, b.promptId]);
    answered();
    await until(() => runner.started.length === 1);
    expect(runner.started[0].promptId).toBe(a.promptId);
    runner.finish(a.promptId);
    await until(() => runner.started.length === 2);
    runner.finish(b.promptId);
    await q.idle();
  });

  it('sends a prompt\'s outcome, then executing null, only after its history entry exists', async () => {
    const dir = tempDir();
    const seen: Array<[string, boolean]> = [];
    let q!: PromptQueue;
    const runner: PromptRunner = {
      async run(req, emit) {
        emit({ type: 'execution_start', data: { prompt_id: req.promptId, timestamp: 1 } });
        emit({ type: 'executing', data: { prompt_id: req.promptId, node: null } });
        emit({ type: 'execution_success', data: { prompt_id: req.promptId, timestamp: 2 } });
        return { status: 'success', outputs: {}, executed: [], cached: [] };
      },
      interrupt: () => false,
    };
    q = await PromptQueue.open({
      queueStore: new QueueStore(join(dir, 'queue')),
      history: new HistoryStore(join(dir, 'history'), 100),
      runner,
      onEvent: (e) => {
        if (e.type !== 'progress_state') seen.push([e.type, q.history.has((e.data as { prompt_id: string }).prompt_id)]);
      },
      onChange: () => {},
    });
    await q.enqueue({ prompt: chain(1), outputs: ['3'] });
    await q.idle();
    expect(seen).toEqual([
      ['execution_start', false],
      ['execution_success', true],
      ['executing', true],
    ]);
  });

  it('after a stop mid-prompt, the running prompt runs again first and numbering continues', async () => {
    const dir = tempDir();
    const runner = new FakeRunner();
    const first = await openQueue(dir, runner);
    const done = await first.q.enqueue({ prompt: chain(1), outputs: ['3'] });
    runner.finish(done.promptId);
    await first.q.idle();
    const running = await first.q.enqueue({ prompt: chain(2), outputs: ['3'] });
    const waiting = await first.q.enqueue({ prompt: chain(3), outputs: ['3'] });
    first.q.close();
    runner.finish(running.promptId, 'interrupted');
    await first.q.flush();

    const runner2 = new FakeRunner();
    const second = await openQueue(dir, runner2);
    expect(second.q.runningItem?.promptId).toBe(running.promptId);
    expect(second.q.pendingItems.map((i) => i.promptId)).toEqual([waiting.promptId]);
    expect(second.q.history.has(done.promptId)).toBe(true);
    expect(second.q.history.has(running.promptId)).toBe(false);
    const next = await second.q.enqueue({ prompt: chain(4), outputs: ['3'] });
    expect(next.number).toBeGreaterThan(waiting.number);
    await second.q.delete([waiting.promptId]);
    await second.q.clear();
    expect(second.q.pendingItems).toEqual([]);
    expect(readdirSync(join(dir, 'queue'))).toEqual([`${running.promptId}.json`]);
  });
});
