// The SHIFTS value: one spectral shift δ (a float per singular value) per layer, for one model.

export interface SpectralShifts {
  /** Content hash of the model the shifts were trained for. */
  modelHash: string;
  /** Layer name → δ (length = number of singular values: min(m, n), or 1 for a norm scale). */
  deltas: Map<string, Float32Array>;
  /** String metadata: training settings (JSON), `partial`, provenance. */
  metadata: Record<string, string>;
  /** Bytes held by the deltas (for output-cache accounting). */
  byteSize: number;
}

/** Sums the bytes of the deltas. */
export function shiftsByteSize(deltas: Map<string, Float32Array>): number {
  let n = 0;
  for (const d of deltas.values()) n += d.byteLength;
  return n;
}

export function makeShifts(modelHash: string, deltas: Map<string, Float32Array>, metadata: Record<string, string> = {}): SpectralShifts {
  return { modelHash, deltas, metadata: { ...metadata }, byteSize: shiftsByteSize(deltas) };
}

/** All-zero shifts (δ = 0 reproduces the model) for layers given as name → singular-value count. */
export function zeroShifts(modelHash: string, layers: Map<string, number> | Iterable<[string, number]>, metadata: Record<string, string> = {}): SpectralShifts {
  const deltas = new Map<string, Float32Array>();
  for (const [name, len] of layers) {
    if (!Number.isInteger(len) || len < 1) throw new Error(`layer "${name}": singular-value count must be a positive integer, got ${len}`);
    deltas.set(name, new Float32Array(len));
  }
  return makeShifts(modelHash, deltas, metadata);
}

/** Deep copy: deltas are fresh arrays, so training one copy never changes another. */
export function cloneShifts(s: SpectralShifts): SpectralShifts {
  const deltas = new Map<string, Float32Array>();
  for (const [k, v] of s.deltas) deltas.set(k, v.slice());
  return makeShifts(s.modelHash, deltas, s.metadata);
}

/** Number of trainable parameters (one per singular value). */
export function countParameters(s: SpectralShifts | Map<string, Float32Array>): number {
  const deltas = s instanceof Map ? s : s.deltas;
  let n = 0;
  for (const d of deltas.values()) n += d.length;
  return n;
}

/** True for shifts that change nothing (every δ exactly 0). */
export function isZero(s: SpectralShifts): boolean {
  for (const d of s.deltas.values()) for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  return true;
}
