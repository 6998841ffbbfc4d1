// Replaced initializers per part (spectral shifts baked into weights), as server/spectral's
// shiftOverrides() returns them; the pipeline opens the matching session variants.
import type { LoadedModel, PartName, SessionRequest } from '../model/index.ts';

export interface PartOverride {
  part: PartName;
  overrides: ReadonlyMap<string, Float32Array>;
  key: string;
}

export function sessionRequest(part: PartName, overrides: readonly PartOverride[] | undefined): SessionRequest {
  const o = overrides?.find((x) => x.part === part);
  return o ? { overrides: o.overrides, overridesKey: o.key } : {};
}

export function partRunner(model: LoadedModel, part: PartName, overrides: readonly PartOverride[] | undefined) {
  return model.runner(part, sessionRequest(part, overrides));
}
