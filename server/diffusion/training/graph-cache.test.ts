import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES, TrainGraphCache } from './graph-cache.ts';
import { trainShifts } from './loop.ts';
import { tinyModel, tinySettings } from './model.testing.ts';

describe('training graphs kept across runs', () => {
  it('a second run with the same model, layers and options opens the saved graph and trains bit-identically; other options build their own', async () => {
    const { model, svd } = await tinyModel();
    const cache = new TrainGraphCache(mkdtempSync(join(tmpdir(), 'graph-cache-')));
    const settings = tinySettings({ steps: 3, batchSize: 2 });
    const run = async (s = settings) => {
      const logs: string[] = [];
      const r = await trainShifts({ model, svd, settings: s, graphCache: cache, log: (m) => logs.push(m) });
      return { r, logs: logs.join('\n') };
    };
    const first = await run();
    expect(first.logs).toMatch(/training graph: \d+ nodes, .*built in/);
    expect(readdirSync(cache.dir)).toHaveLength(1);
    const second = await run();
    expect(second.logs).toMatch(/training graph: the one built before/);
    expect(second.logs).not.toMatch(/built in/);
    expect(second.r.losses).toEqual(first.r.losses);
    for (const [layer, d] of first.r.deltas) expect(Array.from(second.r.deltas.get(layer)!)).toEqual(Array.from(d));

    // A different batch is a different graph: built, saved beside the first.
    const other = await run(tinySettings({ steps: 1, batchSize: 3 }));
    expect(other.logs).toMatch(/built in/);
    expect(readdirSync(cache.dir)).toHaveLength(Math.min(2, MAX_ENTRIES));

    // A damaged entry is rebuilt, not read.
    for (const key of readdirSync(cache.dir)) writeFileSync(join(cache.dir, key, 'info.json'), '{"format":');
    const rebuilt = await run();
    expect(rebuilt.logs).toMatch(/built in/);
    expect(rebuilt.r.losses).toEqual(first.r.losses);
  }, 180_000);

  it('keeps at most MAX_ENTRIES graphs, dropping the least recently used', async () => {
    const { model, svd } = await tinyModel();
    const cache = new TrainGraphCache(mkdtempSync(join(tmpdir(), 'graph-cache-')));
    const seen: string[] = [];
    for (let b = 1; b <= MAX_ENTRIES + 1; b++) {
      await trainShifts({ model, svd, settings: tinySettings({ steps: 1, batchSize: b }), graphCache: cache });
      seen.push(readdirSync(cache.dir).find((k) => !seen.includes(k))!);
    }
    const keys = readdirSync(cache.dir).sort();
    expect(keys).toEqual(seen.slice(1).sort());
    for (const k of keys) expect(existsSync(join(cache.dir, k, 'model.onnx'))).toBe(true);
  }, 180_000);
});
