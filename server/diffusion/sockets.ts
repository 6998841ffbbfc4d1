// The socket types this layer introduces: MODEL (a LoadedModel) and LATENT (float32 NCHW).
import type { LoadedModel } from './model/loaded-model.ts';
import type { Latent } from './pipeline/latent.ts';

declare module '../core/node.ts' {
  interface SocketValues {
    MODEL: LoadedModel;
    LATENT: Latent;
  }
}

export type { LoadedModel, Latent };
