// Public API of the graph engine: validation, execution, output cache, workflow conversion.
// The HTTP layer and the command line use only what is exported here.
export { validatePrompt, typesMatch, acceptsLink } from './validate.ts';
export type { ValidationResult } from './validate.ts';
export { executePrompt } from './execute.ts';
export type { ExecuteRequest, ExecuteDeps, ExecuteResult } from './execute.ts';
export { OutputCache, NodeKeyError, estimateBytes, stableStringify } from './cache.ts';
export type { CacheEntry } from './cache.ts';
export { planExecution, ancestors, asLink, compareIds } from './plan.ts';
export type { Plan, InEdge } from './plan.ts';
export { workflowToPrompt, isApiPrompt, WorkflowError } from './workflow.ts';
export type { EngineEvent, ExecutionErrorData, ExecutionStatus } from './events.ts';
