// The workflow module every side shares: UI workflow wire types, the checks where one comes in
// (zod: schema.ts), and the UI → API conversion (to-prompt.ts). Its own entry, so importing
// server/core does not load zod; the client imports to-prompt.ts and types.ts directly.
export * from './types.ts';
export { WorkflowError } from './errors.ts';
export { workflowToPrompt, bypassInputIndex, slotTypesConnect } from './to-prompt.ts';
export { workflowSchema, apiPromptSchema, parseWorkflow, parseApiPrompt, isApiPrompt } from './schema.ts';
