// SHIFTS and ADAPTER on a sampling node: bake W_δ and the adapters' updates into initializer
// overrides once per call, so every denoising step then costs the same as without. Errors name
// the node's input.
import { InputError } from '../define.ts';
import type { LoadedModel, PartOverride } from '../../server/diffusion/index.ts';
import { applyWeightEdits } from '../../server/diffusion/erase/index.ts';
import { AdapterApplyError, type AdapterStack } from '../../server/adapters/index.ts';
import { CombineError, ShiftApplyError } from '../../server/spectral/index.ts';
import type { SpectralShifts } from '../../server/spectral/shifts.ts';
import type { NodeContext } from '../define.ts';

export interface NodeEdits {
  shifts?: SpectralShifts;
  shiftScale: number;
  adapters?: AdapterStack;
  transport: boolean;
  prompt: string;
}

export async function overridesFor(model: LoadedModel, e: NodeEdits, ctx: NodeContext): Promise<PartOverride[] | undefined> {
  if (!e.shifts && !e.adapters?.uses.length) return undefined;
  try {
    const r = await applyWeightEdits(model, e, { cacheDir: ctx.storage.cacheDir, signal: ctx.signal });
    if (e.adapters?.uses.length) {
      ctx.log(`adapters: ${e.adapters.uses.map((u, i) => `${u.label} × ${r.coefficients[i].toFixed(2)}${e.transport ? ` (transport ${r.rates[i].toFixed(2)})` : ''}`).join(', ')}`);
    }
    return r.overrides.filter((p) => p.overrides.size > 0);
  } catch (err) {
    if (err instanceof ShiftApplyError || err instanceof CombineError) throw new InputError(e.shifts ? 'shifts' : 'adapters', err.message);
    if (err instanceof AdapterApplyError) throw new InputError('adapters', err.message);
    throw err;
  }
}
