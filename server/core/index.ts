// Contracts every layer shares: the node contract, values that flow between nodes, the data
// folders, devices, the API prompt and its error shapes, and the one input error. Depends on
// nothing else in the project.
export * from './node.ts';
export * from './values.ts';
export * from './storage.ts';
export * from './device.ts';
export * from './wire.ts';
export * from './input-error.ts';
