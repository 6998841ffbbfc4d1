// Errors a user can fix name the node and the input, as every node's do:
// `SpectralShiftTrain: input "instance_prompt": …`.
export const TRAIN_NODE = 'SpectralShiftTrain';

export class TrainInputError extends Error {
  override name = 'TrainInputError';
  constructor(
    readonly input: string,
    readonly reason: string,
    node = TRAIN_NODE,
  ) {
    super(`${node}: input "${input}": ${reason}`);
  }
}

/** Training stopped on its own (NaN loss): the shifts so far are kept and returned. */
export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
}
