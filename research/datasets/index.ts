// Public surface of the procedural datasets (shapes world: images, captions, vocabulary).
export * from './rng.ts';
export * from './palette.ts';
export * from './geometry.ts';
export * from './draw.ts';
export * from './vocabulary.ts';
export * from './captions.ts';
export * from './shapes.ts';
export * from './concepts.ts';
export * from './layout.ts';
export * from './preserve-prompts.ts';
