// Public API of server/diffusion: maths (scheduler, guidance, slerp, rng), tokenizers, the
// MODEL value and the pipelines. Nodes import from here.
export * from './scheduler/index.ts';
export * from './tokenizer/index.ts';
export * from './rng.ts';
export * from './slerp.ts';
export * from './guidance.ts';
export * from './model/index.ts';
export * from './pipeline/index.ts';
export type {} from './sockets.ts';
