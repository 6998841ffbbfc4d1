// One erasing request end to end, as the SPMTrain node and the eval run it: validate →
// run key and checkpoint folder (re-queueing the same inputs resumes) → train → ADAPTER.
import { join } from 'node:path';
import type { Storage } from '../../core/index.ts';
import type { Adapter } from '../../adapters/index.ts';
import type { SvdValue } from '../../spectral/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { CheckpointStore, runKey } from '../training/checkpoint.ts';
import type { TrainResult } from '../training/graph-trainer.ts';
import { nativeResolution } from '../training/run.ts';
import type { StepReport } from '../training/types.ts';
import { trainErase } from './trainer.ts';
import type { EraseSettings } from './types.ts';
import { validateErase, type EraseRequest } from './validate.ts';

export interface EraseRunOptions {
  model: LoadedModel;
  request: EraseRequest;
  storage: Storage;
  svd?: SvdValue;
  signal?: AbortSignal;
  log?: (message: string) => void;
  onStep?: (r: StepReport) => void;
}

export interface EraseRunOutput {
  adapter: Adapter;
  result: TrainResult;
  settings: EraseSettings;
  runKey: string;
}

export async function runErase(o: EraseRunOptions): Promise<EraseRunOutput> {
  const { model, storage } = o;
  const settings = validateErase(o.request, model, nativeResolution(model) ?? 32);
  const { steps: _s, checkpointEvery: _c, ...rest } = settings;
  const key = runKey({ v: 1, kind: 'erase', model: model.contentHash, svd: o.svd?.selectionHash ?? null, settings: rest });
  const checkpoints = settings.checkpointEvery > 0 ? new CheckpointStore(join(storage.dataDir, 'checkpoints', key), storage.writeFileAtomic) : undefined;
  const { adapter, result } = await trainErase({ model, settings, svd: o.svd, cacheDir: storage.cacheDir, checkpoints, signal: o.signal, log: o.log, onStep: o.onStep });
  if (result.partial) adapter.metadata.partial = 'true';
  return { adapter, result, settings, runKey: key };
}
