import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import { useQueueStore } from './queue.ts';
import { fakeFetch, memoryStorage, type FetchCall } from '../test/fakes.ts';

let calls: FetchCall[];

beforeEach(() => {
  setActivePinia(createPinia());
  const f = fakeFetch((c) => {
    if (c.url.endsWith('/api/queue') && c.method === 'GET')
      return { body: { queue_running: [[3, 'run', { '1': {}, '2': {} }, {}, ['2']]], queue_pending: [[5, 'p5', { '1': {} }], [4, 'p4', {}]] } };
    if (c.url.includes('/api/history'))
      return { body: { old: { prompt: [1, 'old', { '1': {} }, { extra_pnginfo: { workflow: { nodes: [], links: [] } } }], outputs: { '2': { images: [{ filename: 'a', subfolder: '', type: 'output' }] } }, status: { status_str: 'success', completed: true } } } };
    return { body: {} };
  });
  calls = f.calls;
  setApi(new ApiClient({ baseUrl: 'http://s', fetch: f.fetch, storage: memoryStorage() }));
});

describe('queue store', () => {
  it('reads running, pending (in order) and history', async () => {
    const q = useQueueStore();
    await q.refresh();
    expect(q.running).toEqual([{ number: 3, promptId: 'run', nodeCount: 2 }]);
    expect(q.pending.map((p) => p.promptId)).toEqual(['p4', 'p5']);
    expect(q.history).toEqual([{ number: 1, promptId: 'old', nodeCount: 1, status: 'success', images: 1, workflow: { nodes: [], links: [] } }]);
  });

  it('cancels a running prompt by interrupting and a pending one by deleting it', async () => {
    const q = useQueueStore();
    await q.refresh();
    calls.length = 0;
    await q.cancel('run');
    expect(calls[0]).toMatchObject({ method: 'POST', url: 'http://s/api/interrupt' });
    calls.length = 0;
    await q.cancel('p5');
    expect(calls[0]).toMatchObject({ method: 'POST', url: 'http://s/api/queue', body: { delete: ['p5'] } });
    calls.length = 0;
    await q.clearPending();
    expect(calls[0]).toMatchObject({ method: 'POST', url: 'http://s/api/queue', body: { clear: true } });
  });
});
