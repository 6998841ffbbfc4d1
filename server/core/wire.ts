// What crosses the wire between clients and the server, shared by every layer that reads or
// writes it: the API-format prompt, and the shape of validation and input errors
// (ComfyUI's names, so ComfyUI-aware clients can highlight the failing node and input).

/** API-format prompt: `{id: {class_type, inputs: {name: literal | [srcId, outputIndex]}}}`. */
export type ApiPrompt = Record<string, ApiNode>;
export interface ApiNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}
export type Link = [string, number];

/** One problem with one node (ComfyUI's node_errors[id].errors[i]); `input_name` names the input at fault. */
export interface NodeInputError {
  type: string;
  message: string;
  details: string;
  extra_info: { input_name?: string; received_value?: unknown; [key: string]: unknown };
}

/** All of one node's problems (ComfyUI's node_errors[id]). */
export interface NodeErrors {
  errors: NodeInputError[];
  /** The output nodes that cannot run because of this node. */
  dependent_outputs: string[];
  class_type: string;
}

/** Why a whole prompt was refused (ComfyUI's `error` of a 400 from POST /prompt). */
export interface PromptError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

/** Why a running prompt failed (ComfyUI's `execution_error` message and history entry). */
export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  /** The input at fault when the node threw an InputError (the studio's addition to ComfyUI's shape). */
  input_name?: string;
  exception_type: string;
  traceback: string[];
  /** Each input the node received, as ComfyUI formats them: a list of one short description (shapes, not tensors). */
  current_inputs: Record<string, string[]>;
  /** The nodes whose outputs were available when it failed (run or cached), as ComfyUI lists them. */
  current_outputs: string[];
  timestamp: number;
}
