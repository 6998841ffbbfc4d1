// A run's state in a checkpoint: the trained parameters with AdamW's moments and step count.
// The random stream needs no saving: each step draws from its own stream (see feeds.ts).
import type { AdamW, Parameter } from '../../onnx/index.ts';
import type { Checkpoint, CheckpointStore } from './checkpoint.ts';

export async function saveTrainState(store: CheckpointStore, step: number, loss: number, params: readonly Parameter[], optimizer: AdamW): Promise<void> {
  const st = optimizer.state();
  await store.save({
    step,
    adamT: st.t,
    params: params.map((p, i) => ({ name: p.name, data: p.data, m: st.m[i], v: st.v[i] })),
    meta: { loss: String(loss) },
  });
}

/** Loads `ck` into the parameters (in place) and the optimiser; throws when its layers differ. */
export function restoreTrainState(ck: Checkpoint, params: readonly Parameter[], optimizer: AdamW): void {
  const byName = new Map(ck.params.map((p) => [p.name, p]));
  if (ck.params.length !== params.length || params.some((p) => byName.get(p.name)?.data.length !== p.data.length)) {
    throw new Error('checkpoint does not match the training graph (different layers); delete it or change an input');
  }
  for (const p of params) p.data.set(byName.get(p.name)!.data);
  optimizer.loadState({ t: ck.adamT, m: params.map((p) => byName.get(p.name)!.m), v: params.map((p) => byName.get(p.name)!.v) });
}
