// SpectralShiftTrain through its node interface on the tiny embedded model: progress with
// loss per step, SHIFTS out, class images cached across runs, interrupt → partial shifts
// (saved), checkpoint resume, and input errors that name the node and the input.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from '../server/storage.ts';
import { META_PARTIAL } from '../server/spectral/index.ts';
import { disc, tinyModel } from '../server/diffusion/training/model.testing.ts';
import type { ImageBatch, NodeContext, ProgressExtra, Storage } from './define.ts';
import Train from './spectral-shift-train.ts';

const root = mkdtempSync(join(tmpdir(), 'svdiff-train-node-'));
const storage: Storage = createStorage({ dataDir: join(root, 'data'), modelsDir: join(root, 'models') });
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(signal = new AbortController().signal) {
  const progress: { value: number; max: number; extra?: ProgressExtra }[] = [];
  const logs: string[] = [];
  const ctx: NodeContext = {
    promptId: 'p', nodeId: '7', signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {}, previews: false,
    progress: (value, max, extra) => void progress.push({ value, max, extra }),
    log: (m) => void logs.push(m),
  };
  return { ctx, progress, logs };
}

const images: ImageBatch = (() => {
  const a = disc(16, [1, 0, 0]);
  const b = disc(16, [0.9, 0.1, 0], 1);
  const data = new Float32Array(a.data.length * 2);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, shape: [2, 16, 16, 3] };
})();

async function inputs(over: Record<string, unknown> = {}) {
  const { model, svd } = await tinyModel();
  const base = Object.fromEntries(Object.entries(Train.inputs).filter(([, s]) => 'default' in s).map(([k, s]) => [k, (s as { default: unknown }).default]));
  return { ...base, model, svd, images, resolution: 16, steps: 4, num_class_images: 2, checkpoint_every: 0, ...over } as Parameters<typeof Train.run>[0];
}

describe('SpectralShiftTrain node', () => {
  it('trains with prior preservation: loss per step, SHIFTS out, class images cached', async () => {
    const { ctx, progress, logs } = context();
    const out = await Train.run(await inputs(), ctx);
    const shifts = out.outputs[0] as import('../server/spectral/index.ts').SpectralShifts;
    const { model, svd } = await tinyModel();
    expect(shifts.modelHash).toBe(model.contentHash);
    expect([...shifts.deltas.keys()].sort()).toEqual([...svd.layers.keys()].sort());
    expect(shifts.metadata[META_PARTIAL]).toBeUndefined();
    const steps = progress.filter((p) => p.extra?.loss !== undefined);
    expect(steps.map((p) => [p.value, p.max])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(steps.every((p) => Number.isFinite(p.extra!.loss))).toBe(true);
    expect(logs.join('\n')).toMatch(/class images for "a heart": 2 generated, 0 from the cache/);
    const again = context();
    await Train.run(await inputs({ seed: 1 }), again.ctx);
    expect(again.logs.join('\n')).toMatch(/class images for "a heart": 0 generated, 2 from the cache/);
  }, 180_000);

  it('interrupt returns the shifts so far, marked partial and saved; re-queueing resumes', async () => {
    const ac = new AbortController();
    const { ctx, logs } = context(ac.signal);
    const seen: number[] = [];
    const origProgress = ctx.progress;
    const c2: NodeContext = { ...ctx, progress: (v, m, e) => { origProgress(v, m, e); if (e?.loss !== undefined) { seen.push(v); if (v === 2) ac.abort(); } } };
    const ins = await inputs({ prior_weight: 0, steps: 5, checkpoint_every: 10, seed: 9 });
    const out = await Train.run(ins, c2);
    const shifts = out.outputs[0] as import('../server/spectral/index.ts').SpectralShifts;
    expect(seen).toEqual([1, 2]);
    expect(shifts.metadata[META_PARTIAL]).toBe('true');
    expect(JSON.parse(shifts.metadata.svdiff_training).steps_done).toBe(2);
    expect(logs.join('\n')).toMatch(/interrupted after 2 of 5 steps: returning the shifts so far \(marked partial\), also saved to/);
    expect(readdirSync(join(storage.shiftsDir, 'autosave')).some((f) => f.endsWith('_partial.safetensors'))).toBe(true);
    const resumed = context();
    await Train.run(ins, resumed.ctx);
    expect(resumed.logs.join('\n')).toMatch(/resuming from the checkpoint at step 2 of 5/);
    expect(existsSync(join(storage.dataDir, 'checkpoints'))).toBe(true);
  }, 180_000);

  it('bad inputs name the node and the input', async () => {
    const run = async (over: Record<string, unknown>) => Train.run(await inputs(over), context().ctx);
    await expect(run({ images: undefined })).rejects.toThrow('input "images": has no images');
    await expect(run({ instance_prompt: 'a heart' })).rejects.toThrow(/input "instance_prompt": "a heart" does not contain the identifier "sks"/);
    await expect(run({ class_prompt: '' })).rejects.toThrow(/input "class_prompt": is empty, but prior_weight is 1/);
    await expect(run({ train_parts: 'unet+text_encoder' })).rejects.toThrow(/input "train_parts": .* no text-encoder layers/);
    await expect(run({ resolution: 15 })).rejects.toThrow(/input "resolution"/);
    await expect(run({ images_2: images, instance_prompt_2: 'a xvg moon', identifier_2: '', class_prompt_2: 'a moon' })).rejects.toThrow(/input "identifier_2": is empty/);
  }, 60_000);
});
