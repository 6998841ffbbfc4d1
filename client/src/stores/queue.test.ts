import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import { placeLabel, useQueueStore } from './queue.ts';
import { fakeFetch, memoryStorage, type FetchCall } from '../test/fakes.ts';

let calls: FetchCall[];

beforeEach(() => {
  setActivePinia(createPinia());
  const f = fakeFetch((c) => {
    if (c.url.endsWith('/api/queue') && c.method === 'GET')
      return { body: { queue_running: [[3, 'run', { '1': {}, '2': {} }, {}, ['2']]], queue_pending: [[5, 'p5', { '1': {} }], [4, 'p4', {}]] } };
    if (c.url.includes('/api/history'))
      return {
        body: {
          old: { prompt: [1, 'old', { '1': {} }, { extra_pnginfo: { workflow: { nodes: [], links: [] } } }], outputs: { '2': { images: [{ filename: 'a', subfolder: '', type: 'output' }] } }, status: { status_str: 'success', completed: true, messages: [['execution_start', { timestamp: 1000 }], ['execution_success', { timestamp: 3500 }]] } },
          // Queued to the front (a negative number), it ran after "old".
          front: { prompt: [-1, 'front', { '1': {}, '2': {} }], outputs: { '3': { images: [{ filename: 'p.png', subfolder: '', type: 'temp' }, { filename: 'q.png', subfolder: 'x', type: 'output' }] } }, status: { status_str: 'error', completed: false, messages: [['execution_start', { timestamp: 4000 }], ['execution_error', { timestamp: 4200 }]] } },
        },
      };
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
    // Newest run first, whatever its queue number; each with its images, end time and duration.
    expect(q.history.map((h) => h.promptId)).toEqual(['front', 'old']);
    expect(q.history[1]).toEqual({
      number: 1, promptId: 'old', nodeCount: 1, status: 'success', images: 1, endedAt: 3500, durationMs: 2500, workflow: { nodes: [], links: [] },
      outputs: [{ url: 'http://s/api/view?filename=a&type=output&subfolder=', ref: { filename: 'a', subfolder: '', type: 'output' } }],
    });
    expect(q.history[0]).toMatchObject({ status: 'error', images: 2, durationMs: 200 });
    expect(q.history[0].outputs.map((o) => o.url)).toEqual(['http://s/api/view?filename=p.png&type=temp&subfolder=', 'http://s/api/view?filename=q.png&type=output&subfolder=x']);
  });

  it('labels waiting prompts by their place in line, not the server\'s sort number', () => {
    expect([0, 1, 2, 3, 10, 11, 20, 21].map(placeLabel)).toEqual(['Next', '2nd in line', '3rd in line', '4th in line', '11th in line', '12th in line', '21st in line', '22nd in line']);
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
