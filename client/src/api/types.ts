// Wire types of the server's HTTP + WebSocket protocol (ComfyUI-compatible shapes). Those the
// server writes itself come from server/core, so client and server read one definition.
import type { ApiPrompt, ExecutionErrorData, ImageRef, NodeErrors } from '../../../server/core/index.ts';

export type { ApiPrompt, ExecutionErrorData, ImageRef, NodeErrors };

/** One input's spec in /api/object_info: `[type | options[], extra?]`. */
export type InputSpec = [string | string[], Record<string, unknown>?];

export interface NodeDef {
  name: string;
  display_name: string;
  description: string;
  category: string;
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec> };
  input_order?: { required?: string[]; optional?: string[] };
  output: string[];
  output_name: string[];
  output_is_list?: boolean[];
  output_node: boolean;
}
export type ObjectInfo = Record<string, NodeDef>;


export interface PromptResponse {
  prompt_id: string;
  number: number;
  node_errors: Record<string, NodeErrors>;
}

/** ComfyUI's queue item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueItem = [number, string, ApiPrompt, Record<string, unknown>?, string[]?];
export interface QueueState {
  queue_running: QueueItem[];
  queue_pending: QueueItem[];
}

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, { images?: ImageRef[]; [k: string]: unknown }>;
  status?: { status_str: string; completed: boolean; messages?: [string, Record<string, unknown>][] };
}
export type History = Record<string, HistoryEntry>;

/** Workflow (UI) format: litegraph's serialisation, as the shared workflow module reads it. */
export type { Workflow, WorkflowLink, WorkflowNode } from '../../../server/core/workflow/types.ts';

export interface WorkflowInfo {
  name: string;
  modified?: number;
  size?: number;
}


/** WebSocket JSON messages, keyed by `type`. */
export interface ServerEvents {
  status: { status?: { exec_info?: { queue_remaining: number } }; sid?: string };
  execution_start: { prompt_id: string; timestamp?: number };
  execution_cached: { prompt_id: string; nodes: string[] };
  executing: { prompt_id: string; node: string | null; display_node?: string };
  progress: { prompt_id: string; node: string; value: number; max: number; loss?: number };
  executed: { prompt_id: string; node: string; display_node?: string; output: { images?: ImageRef[]; [k: string]: unknown } };
  execution_error: ExecutionErrorData;
  execution_interrupted: { prompt_id: string; node_id: string; node_type: string };
  execution_success: { prompt_id: string };
}

/** Events the client itself emits besides the server's. */
export interface ClientEvents extends ServerEvents {
  /** A binary preview frame (PNG/JPEG bytes) for the node running now. */
  b_preview: { blob: Blob; mime: string };
  connected: { reconnect: boolean };
  disconnected: Record<string, never>;
}
