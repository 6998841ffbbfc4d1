// The node-writing API: a node type is a typed schema plus a `run` function, written with
// `defineNode` so `run` gets inputs typed from the schema. The contract itself lives in
// server/core (the engine and every layer share it); node files import it from here.
import type { InputSpec, NodeDefinition, OutputSpec } from '../server/core/node.ts';

export * from '../server/core/index.ts';

/** Identity with inference: gives `run` typed inputs from the schema literal. */
export function defineNode<const I extends Record<string, InputSpec>, const O extends readonly OutputSpec[]>(
  def: NodeDefinition<I, O>,
): NodeDefinition<I, O> {
  return def;
}
