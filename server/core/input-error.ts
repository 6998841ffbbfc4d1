// The one error a user can fix by changing an input: nodes and the layers below them throw
// `InputError(input, reason)`; the engine labels it with the node (`Node #3 (Sample): input
// "steps": …`) and reports `input_name`, so clients mark the input without parsing text.

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    /** The input at fault, as the node names it. */
    readonly input: string,
    /** What is wrong with it, without the node or input name. */
    readonly reason: string,
  ) {
    super(inputPhrase(input, reason));
  }
}

/** Who a message is about: `Node #3 (Sample)`. */
export function nodeLabel(id: string, classType: string): string {
  return `Node #${id} (${classType})`;
}

/** The one form of a message about a node's input: `Node #3 (Sample): input "steps": …`. */
export function inputMessage(node: string, input: string, reason: string): string {
  return `${node}: ${inputPhrase(input, reason)}`;
}

function inputPhrase(input: string, reason: string): string {
  return `input "${input}": ${reason}`;
}

/**
 * A lower layer names inputs as it sees them (`guidance`, `latent`); a node whose inputs are
 * named otherwise renames them before the error leaves it. Anything else passes unchanged.
 */
export function renameInput(e: unknown, names: Record<string, string>): unknown {
  return e instanceof InputError && names[e.input] !== undefined ? new InputError(names[e.input], e.reason) : e;
}
