// Public surface of the procedural evaluation (classifier for the shapes world).
export * from './classify.ts';
export * from './mask.ts';
export * from './templates.ts';
export * from './image-ops.ts';
export * from './validate-classifier.ts';
export * from './score.ts';
export * from './erase-sets.ts';
