// Events the engine emits while running a prompt. The HTTP layer forwards them over the
// WebSocket unchanged as `{type, data}` (ComfyUI's message names and payloads).
import type { UiOutput } from '../../nodes/define.ts';

export type EngineEvent =
  | { type: 'execution_start'; data: { prompt_id: string; timestamp: number } }
  | { type: 'execution_cached'; data: { prompt_id: string; nodes: string[]; timestamp: number } }
  | { type: 'executing'; data: { prompt_id: string; node: string | null; display_node?: string } }
  | { type: 'progress'; data: { prompt_id: string; node: string; value: number; max: number; loss?: number } }
  /** A preview image for the running node; sent to clients as a binary frame. */
  | { type: 'preview'; data: { prompt_id: string; node: string; png: Uint8Array } }
  | { type: 'executed'; data: { prompt_id: string; node: string; display_node?: string; output: UiOutput } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: { prompt_id: string; node_id: string; node_type: string; executed: string[]; timestamp: number } }
  | { type: 'execution_success'; data: { prompt_id: string; timestamp: number } };

export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  exception_type: string;
  traceback: string[];
  /** A short description of each input the node received (shapes, not tensors). */
  current_inputs: Record<string, string>;
  current_outputs: Record<string, string>;
  timestamp: number;
}

export type ExecutionStatus = 'success' | 'error' | 'interrupted';
