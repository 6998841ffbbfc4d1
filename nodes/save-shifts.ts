// SaveShifts: SHIFTS → shifts/<prefix>.safetensors (F32 `<layer>.delta` tensors, model hash
// and training settings in the metadata), written atomically: a failed save leaves no file.
import { defineNode, InputError } from './define.ts';
import { encodeShiftFile, shiftSavePath } from '../server/spectral/index.ts';
import { SHIFTS_FOLDER } from './lib/folder-files.ts';

const NODE = 'SaveShifts';

export default defineNode({
  type: NODE,
  displayName: 'Save Shifts',
  category: 'spectral',
  description:
    'Saves spectral shifts as a .safetensors file in the shifts folder (one float per singular value and layer; about a megabyte for SD). ' +
    'The file records the model hash, so it only loads on the model it was trained for. An existing file of the same name is replaced.',
  inputs: {
    shifts: { type: 'SHIFTS' },
    filename_prefix: { type: 'STRING', default: 'svdiff', tooltip: 'File name inside the shifts folder, without .safetensors; may include sub-folders ("dogs/sks").' },
  },
  outputs: [],
  outputNode: true,

  validate({ filename_prefix }, env): Record<string, string> {
    const why = SHIFTS_FOLDER.unusablePrefix(filename_prefix, env);
    return why ? { filename_prefix: why } : {};
  },

  async run({ shifts, filename_prefix }, ctx) {
    let target;
    try {
      target = shiftSavePath(ctx.storage, filename_prefix);
    } catch (e) {
      throw new InputError('filename_prefix', `is not usable: ${(e as Error).message}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeShiftFile(shifts);
    } catch (e) {
      throw new InputError('shifts', (e as Error).message);
    }
    try {
      await ctx.storage.writeFileAtomic(target.path, bytes);
    } catch (e) {
      throw new InputError('filename_prefix', `cannot save "${target.name}": ${(e as Error).message}`);
    }
    const slash = target.name.lastIndexOf('/');
    const file = { filename: target.name.slice(slash + 1), subfolder: slash < 0 ? '' : target.name.slice(0, slash), type: 'shifts', bytes: bytes.byteLength };
    ctx.log(`saved ${target.name} (${shifts.deltas.size} layers, ${bytes.byteLength} bytes)`);
    return { outputs: [], ui: { shifts: [file], text: [`${target.name}: ${shifts.deltas.size} layers, ${(bytes.byteLength / 1024).toFixed(1)} KiB`] } };
  },
});
