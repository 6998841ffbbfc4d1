// Concept erasing on the tiny embedded architecture: a short run lowers the erasing loss on
// fixed steps, in both modes (adapter, spectral); the anchors keep the anchoring term small;
// resuming from a checkpoint reproduces the uninterrupted run; bad requests name the input;
// sampled anchors never hold the concept's tokens and half are neighbours of the target prompt.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../storage.ts';
import { tinyModel } from '../training/model.testing.ts';
import { CheckpointStore } from '../training/checkpoint.ts';
import { PER_ITEM } from '../training/train-graph.ts';
import { stateSimilarity } from '../../adapters/index.ts';
import { encodeText } from '../pipeline/index.ts';
import { Rng } from '../rng.ts';
import { AnchorSampler } from './anchors.ts';
import { EraseTrainer, trainErase, validateErase, type EraseRequest } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'svdiff-erase-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function settings(over: Partial<EraseRequest> = {}) {
  const { model } = await tinyModel();
  return { model, s: validateErase({ concept: 'circle', target_prompts: 'a {}\na red {}', steps: 40, batch_size: 2, anchor_count: 2, learning_rate: 0.01, resolution: 16, ...over }, model, 16) };
}

/** Mean erasing term (instance items) over fixed steps at the trainer's current values. */
async function eraseTerm(t: EraseTrainer, steps: number[]): Promise<number> {
  let sum = 0, n = 0;
  for (const step of steps) {
    const { out, items } = await t.outputs(step, [PER_ITEM]);
    const per = out[PER_ITEM].data as Float32Array;
    items.forEach((it, i) => { if (it.kind === 'instance') { sum += per[i]; n++; } });
  }
  return sum / n;
}

describe('concept erasing', () => {
  for (const mode of ['adapter', 'spectral'] as const) {
    it(`a short ${mode} run lowers the erasing loss`, async () => {
      const { model, s } = await settings({ mode, learning_rate: mode === 'adapter' ? 0.01 : 0.05 });
      const { svd } = await tinyModel();
      const trainer = await EraseTrainer.create({ model, settings: s, svd: mode === 'spectral' ? svd : undefined });
      try {
        const probe = [1000, 1001, 1002, 1003];
        const before = await eraseTerm(trainer, probe);
        const r = await trainer.train();
        expect(r.stepsDone).toBe(40);
        const after = await eraseTerm(trainer, probe);
        expect(after).toBeLessThan(0.7 * before);
        const a = trainer.adapter();
        if (mode === 'adapter') {
          expect(a.layers.size).toBeGreaterThan(10);
          expect([...a.layers.values()].some((l) => l.up.some((v) => v !== 0))).toBe(true);
        } else {
          expect(a.layers.size).toBe(0);
          expect([...a.spectral!.deltas.values()].some((d) => d.some((v) => v !== 0))).toBe(true);
        }
        expect(a.concepts).toEqual(['circle']);
      } finally {
        await trainer.release();
      }
    });
  }

  it('resuming from a checkpoint gives the uninterrupted run', async () => {
    const { model, s } = await settings({ steps: 6, checkpoint_every: 3 });
    const full = await trainErase({ model, settings: s });
    const storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
    const store = new CheckpointStore(join(storage.dataDir, 'checkpoints', 'erase'), storage.writeFileAtomic);
    const ac = new AbortController();
    const first = await trainErase({ model, settings: s, checkpoints: store, signal: ac.signal, onStep: (r) => { if (r.step === 3) ac.abort(); } });
    expect(first.result.stepsDone).toBe(3);
    const resumed = await trainErase({ model, settings: s, checkpoints: store });
    expect(resumed.result.resumedFrom).toBe(3);
    for (const [name, l] of full.adapter.layers) {
      expect(resumed.adapter.layers.get(name)!.up).toEqual(l.up);
    }
  });

  it('anchors: never the concept\'s tokens; about half keep the target prompt\'s other tokens, none for a prompt without the concept; the band filters', async () => {
    const { model } = await tinyModel();
    const tok = model.tokenizer;
    const concept = tok.idsOf('circle');
    const ids = tok.idsOf('a red circle');
    const states = (await encodeText(model, ['a red circle'])).data.slice();
    const sampler = await AnchorSampler.create(model, ['circle'], []);
    const drawn = await sampler.draw(new Rng(3), 64, { ids, states }, [0, 1]);
    const seqs = drawn.map((a) => a.text.split(' ').map(Number));
    expect(seqs.every((q) => q.every((id) => !concept.includes(id)))).toBe(true);
    const neighbours = seqs.filter((q) => q.length === ids.length && q.filter((id, i) => id === ids[i]).length >= ids.length - concept.length - 1);
    expect(neighbours.length).toBeGreaterThan(16);
    expect(neighbours.length).toBeLessThan(48);
    // A target prompt that does not name the concept gets no neighbours (they could be the target itself).
    const other = tok.idsOf('a red square');
    const far = await sampler.draw(new Rng(5), 32, { ids: other, states }, [0, 1]);
    expect(far.filter((a) => a.text.split(' ').map(Number).filter((id, i) => id === other[i]).length >= 2).length).toBe(0);
    // A narrow band keeps only anchors whose similarity to the target lies in it (where one is found).
    const empty = (await encodeText(model, [''])).data.slice();
    const close = await sampler.draw(new Rng(4), 8, { ids, states }, [0.6, 1]);
    expect(close.filter((a) => stateSimilarity(a.states, states, empty) >= 0.6).length).toBeGreaterThan(4);
  }, 60_000);

  it('bad requests name the input', async () => {
    const { model } = await tinyModel();
    expect(() => validateErase({ concept: ' , ' }, model, 16)).toThrow(/input "concept"/);
    expect(() => validateErase({ concept: 'circle', eta: -1 }, model, 16)).toThrow(/input "eta"/);
    expect(() => validateErase({ concept: 'circle', anchor_similarity_min: 0.8, anchor_similarity_max: 0.2 }, model, 16)).toThrow(/input "anchor_similarity_min"/);
    expect(() => validateErase({ concept: 'circle', mode: 'lora' as never }, model, 16)).toThrow(/input "mode"/);
  });
});
