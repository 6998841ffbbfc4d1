// A pipeline error caused by one user-facing input (named as the nodes name their inputs:
// prompt, width, image, latent, …); nodes turn it into `<Node>: input "<name>": …`.
export class PipelineInputError extends Error {
  override name = 'PipelineInputError';
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

/** For nodes: a PipelineInputError becomes `<node>: input "<input>": …`; aborts and others pass through. */
export function toNodeError(node: string, e: unknown, rename: Record<string, string> = {}): unknown {
  if (e instanceof PipelineInputError) {
    const err = new Error(`${node}: input "${rename[e.input] ?? e.input}": ${e.message}`);
    err.name = 'InputError';
    return err;
  }
  return e;
}
