// The contract between the differentiator and per-op gradient rules.
import type { NodeProto } from '../proto.ts';
import type { Emitter } from './emitter.ts';

export interface RuleContext {
  node: NodeProto;
  /** Emits backward nodes (opset-aware helpers; knows every static shape). */
  e: Emitter;
  /** Input names ('' for an omitted optional input). */
  inputs: string[];
  outputs: string[];
  /** Gradient of the loss w.r.t. each output, or null where it is zero / unused. */
  gradOut: (string | null)[];
  /** Which inputs need a gradient. */
  needs: boolean[];
  /** Forward node that produces a tensor (undefined for inputs / initializers). */
  producer: (tensor: string) => NodeProto | undefined;
  /** Forward nodes that read a tensor. */
  consumers: (tensor: string) => NodeProto[];
  /** Accumulated gradient of a forward tensor produced later in the graph (already final). */
  gradOf: (tensor: string) => string | null;
}

/** Returns a gradient name (or null for zero) per input; entries for inputs not needed are ignored. */
export type GradRule = (ctx: RuleContext) => (string | null | undefined)[];

/** Thrown at build time when an op has no rule or a rule does not support an attribute. */
export class GradientError extends Error {
  constructor(node: NodeProto, what: string) {
    super(`autodiff: ${what} (op ${node.opType}, node '${node.name ?? ''}' -> ${(node.output ?? []).join(', ')})`);
    this.name = 'GradientError';
  }
}
