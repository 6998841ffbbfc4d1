// LoadShifts: a shift file from shifts/ → SHIFTS for the connected model. Checks the model
// hash and every layer's length (a mismatch names the layer); layers missing from the file
// load as zero. A reference SVDiff file (no model hash) is mapped by module path instead.
import { defineNode, InputError } from './define.ts';
import { listShiftFiles, loadShiftsForModel, ShiftFileError } from '../server/spectral/index.ts';
import { SHIFTS_FOLDER } from './lib/folder-files.ts';

const NODE = 'LoadShifts';

export default defineNode({
  type: NODE,
  displayName: 'Load Shifts',
  category: 'spectral',
  description:
    'Loads spectral shifts (.safetensors) from the shifts folder for the connected model. The file must have been made for this model ' +
    '(its hash is checked) and every layer must have the model\'s number of singular values; layers the file lacks count as zero. ' +
    'A PyTorch SVDiff spectral_shifts.safetensors is mapped by module path.',
  inputs: {
    model: { type: 'MODEL' },
    shift_file: { type: 'COMBO', options: ({ storage }) => listShiftFiles(storage.shiftsDir), tooltip: 'A .safetensors file in the shifts folder.' },
    svd: { type: 'SVD', optional: true, tooltip: 'Check the file against this layer selection instead of every layer of the model.' },
  },
  outputs: [{ name: 'SHIFTS', type: 'SHIFTS' }],

  fingerprint: ({ shift_file }, env) => SHIFTS_FOLDER.fingerprint(shift_file, env),

  async validate({ shift_file }, env): Promise<Record<string, string>> {
    const why = await SHIFTS_FOLDER.missing(shift_file, env);
    return why ? { shift_file: why } : {};
  },

  async run({ model, shift_file, svd }, ctx) {
    let path: string;
    try {
      path = ctx.storage.resolveInside(ctx.storage.shiftsDir, shift_file);
    } catch (e) {
      throw new InputError('shift_file', (e as Error).message);
    }
    try {
      const { shifts, reference } = await loadShiftsForModel(path, model, svd, `"${shift_file}"`);
      if (reference) {
        ctx.log(`${shift_file}: reference file, ${reference.mapped.size} layers mapped, ${reference.unmapped.length} keys not mapped` +
          (reference.unmapped.length ? ` (e.g. ${reference.unmapped.slice(0, 3).join(', ')})` : ''));
      } else ctx.log(`${shift_file}: ${shifts.deltas.size} layers`);
      return { outputs: [shifts] };
    } catch (e) {
      if (e instanceof ShiftFileError) throw new InputError(/SVD input/.test(e.message) ? 'svd' : 'shift_file', e.message);
      throw e;
    }
  },
});
