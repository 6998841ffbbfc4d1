// The socket types this layer introduces: SVD (per-layer factors of one model) and SHIFTS.
import type { SpectralShifts } from './shifts.ts';
import type { SvdValue } from './svd-model.ts';

declare module '../core/node.ts' {
  interface SocketValues {
    SVD: SvdValue;
    SHIFTS: SpectralShifts;
  }
}

export type { SpectralShifts, SvdValue };
