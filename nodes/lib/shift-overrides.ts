// SHIFTS on a sampling node: bake W_δ into initializer overrides once per (shifts, scale), so
// every denoising step then costs the same as without shifts. Errors name the node's input.
import { InputError } from '../define.ts';
import type { LoadedModel, PartOverride } from '../../server/diffusion/index.ts';
import { shiftOverrides, ShiftApplyError } from '../../server/spectral/index.ts';
import type { SpectralShifts } from '../../server/spectral/shifts.ts';
import type { NodeContext } from '../define.ts';

export async function overridesForShifts(model: LoadedModel, shifts: SpectralShifts | undefined, scale: number, ctx: NodeContext): Promise<PartOverride[] | undefined> {
  if (!shifts) return undefined;
  try {
    const parts = await shiftOverrides(model, undefined, shifts, scale, { cacheDir: ctx.storage.cacheDir, signal: ctx.signal });
    return parts.filter((p) => p.overrides.size > 0);
  } catch (e) {
    if (e instanceof ShiftApplyError) throw new InputError('shifts', e.message);
    throw e;
  }
}
