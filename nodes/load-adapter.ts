// LoadAdapter: an adapter file from adapters/ → ADAPTER for the connected model, at a strength.
// Keys map onto the model's layers by module path (ours, SPM's and kohya's LoRA files); keys
// that do not map are reported. The model hash is not required to match: an adapter trained on
// one base applies to other fine-tunes of the same architecture (SPM's training-free transfer).
import { defineNode, InputError } from './define.ts';
import { AdapterFileError, decodeAdapterFile } from '../server/adapters/index.ts';
import { listShiftFiles } from '../server/spectral/index.ts';
import { ADAPTERS_FOLDER } from './lib/folder-files.ts';
import { readFile } from 'node:fs/promises';

export default defineNode({
  type: 'LoadAdapter',
  displayName: 'Load Adapter',
  category: 'adapters',
  description:
    'Loads an adapter (.safetensors: an SPM eraser or a LoRA with kohya keys) from the adapters folder for the connected model. ' +
    'Works on fine-tunes of the model it was trained on; layers are matched by module path and the ones that do not map are listed in the log.',
  inputs: {
    model: { type: 'MODEL' },
    adapter_file: { type: 'COMBO', options: ({ storage }) => listShiftFiles(storage.adaptersDir), tooltip: 'A .safetensors file in the adapters folder.' },
    strength: { type: 'FLOAT', default: 1, min: -10, max: 10, step: 0.05, tooltip: 'Multiplies the adapter\'s update (1 = as trained).' },
  },
  outputs: [{ name: 'ADAPTER', type: 'ADAPTER' }],

  fingerprint: ({ adapter_file }, env) => ADAPTERS_FOLDER.fingerprint(adapter_file, env),

  async validate({ adapter_file }, env): Promise<Record<string, string>> {
    const why = await ADAPTERS_FOLDER.missing(adapter_file, env);
    return why ? { adapter_file: why } : {};
  },

  async run({ model, adapter_file, strength }, ctx) {
    let path: string;
    try {
      path = ctx.storage.resolveInside(ctx.storage.adaptersDir, adapter_file);
    } catch (e) {
      throw new InputError('adapter_file', (e as Error).message);
    }
    try {
      const { adapter, unmapped } = decodeAdapterFile(new Uint8Array(await readFile(path)), model, `"${adapter_file}"`);
      const kind = adapter.spectral ? `${adapter.spectral.deltas.size} spectral layers` : `${adapter.layers.size} layers`;
      ctx.log(`${adapter_file}: ${kind}${adapter.concepts.length ? `, erases "${adapter.concepts.join(', ')}"` : ''}` +
        (adapter.modelHash && adapter.modelHash !== model.contentHash ? `, trained on another model (${adapter.modelHash.slice(0, 12)})` : '') +
        (unmapped.length ? `; ${unmapped.length} keys not mapped (e.g. ${unmapped.slice(0, 3).join(', ')})` : ''));
      return { outputs: [{ uses: [{ adapter, strength, label: adapter_file }] }] };
    } catch (e) {
      if (e instanceof AdapterFileError) throw new InputError('adapter_file', e.message);
      throw e;
    }
  },
});
