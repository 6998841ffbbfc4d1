/** A workflow or API prompt that cannot be read or converted; the message names the node at fault. */
export class WorkflowError extends Error {
  override name = 'WorkflowError';
}
