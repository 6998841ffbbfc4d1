// The socket type this layer introduces: ADAPTER (one or more adapters applied together).
import type { AdapterStack } from './adapter.ts';

declare module '../core/node.ts' {
  interface SocketValues {
    ADAPTER: AdapterStack;
  }
}

export type { AdapterStack };
