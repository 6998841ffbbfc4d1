// SaveAdapter: ADAPTER → adapters/<prefix>.safetensors in the LoRA key convention (kohya, SPM's
// release), fp16 by default, written atomically. A stack of several adapters saves each as
// <prefix>_<n>.
import { defineNode, InputError } from './define.ts';
import { ADAPTER_PRECISIONS, AdapterFileError, encodeAdapterFile, type AdapterPrecision } from '../server/adapters/index.ts';
import { savePathIn } from '../server/spectral/index.ts';
import { ADAPTERS_FOLDER } from './lib/folder-files.ts';

export default defineNode({
  type: 'SaveAdapter',
  displayName: 'Save Adapter',
  category: 'adapters',
  description:
    'Saves an adapter (from Erase Concept) as a .safetensors file in the adapters folder, with LoRA keys (lora_unet_<module>.lora_down/lora_up/alpha) ' +
    'and SPM\'s metadata (the erased concepts as "prompts"), so other LoRA/SPM tools read it. An existing file of the same name is replaced.',
  inputs: {
    adapter: { type: 'ADAPTER' },
    filename_prefix: { type: 'STRING', default: 'spm/erase', tooltip: 'File name inside the adapters folder, without .safetensors; may include sub-folders.' },
    precision: { type: 'COMBO', options: ADAPTER_PRECISIONS, default: 'fp16', tooltip: 'fp16 (as LoRA tools usually save; half the size, rounding far below what an adapter changes) or fp32 (exactly the trained values). Spectral adapters keep their δ in fp32.' },
  },
  outputs: [],
  outputNode: true,

  validate({ filename_prefix }, env): Record<string, string> {
    const why = ADAPTERS_FOLDER.unusablePrefix(filename_prefix, env);
    return why ? { filename_prefix: why } : {};
  },

  async run({ adapter, filename_prefix, precision }, ctx) {
    if (adapter.uses.length === 0) throw new InputError('adapter', 'holds no adapter');
    const files = [];
    const text = [];
    for (const [n, use] of adapter.uses.entries()) {
      const prefix = adapter.uses.length === 1 ? filename_prefix : `${filename_prefix.trim().replace(/\.safetensors$/, '')}_${n + 1}`;
      let target;
      try {
        target = savePathIn(ctx.storage, ctx.storage.adaptersDir, prefix);
      } catch (e) {
        throw new InputError('filename_prefix', `is not usable: ${(e as Error).message}`);
      }
      let bytes;
      try {
        bytes = encodeAdapterFile(use.adapter, precision as AdapterPrecision);
      } catch (e) {
        if (e instanceof AdapterFileError) throw new InputError('precision', `${use.label}: ${e.message}`);
        throw e;
      }
      try {
        await ctx.storage.writeFileAtomic(target.path, bytes);
      } catch (e) {
        throw new InputError('filename_prefix', `cannot save "${target.name}": ${(e as Error).message}`);
      }
      const slash = target.name.lastIndexOf('/');
      files.push({ filename: target.name.slice(slash + 1), subfolder: slash < 0 ? '' : target.name.slice(0, slash), type: 'adapters', bytes: bytes.byteLength });
      text.push(`${target.name}: ${use.label}, ${(bytes.byteLength / 1024).toFixed(1)} KiB`);
      ctx.log(`saved ${target.name} (${bytes.byteLength} bytes)`);
    }
    return { outputs: [], ui: { adapters: files, text } };
  },
});
