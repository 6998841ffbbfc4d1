// Events the engine emits while running a prompt. The HTTP layer forwards them over the
// WebSocket unchanged as `{type, data}` (ComfyUI's message names and payloads).
import type { ExecutionErrorData, UiOutput } from '../core/index.ts';

export type { ExecutionErrorData };

export type EngineEvent =
  | { type: 'execution_start'; data: { prompt_id: string; timestamp: number } }
  | { type: 'execution_cached'; data: { prompt_id: string; nodes: string[]; timestamp: number } }
  | { type: 'executing'; data: { prompt_id: string; node: string | null; display_node?: string } }
  | { type: 'progress'; data: { prompt_id: string; node: string; value: number; max: number; loss?: number } }
  /** A preview image for the running node; sent to clients as a binary frame (dropped for a client far behind). */
  | { type: 'preview'; data: { prompt_id: string; node: string; png: Uint8Array } }
  /** An output image sent over the socket (ComfyUI's SaveImageWebsocket): the same frame as a preview, never dropped. */
  | { type: 'image'; data: { prompt_id: string; node: string; png: Uint8Array } }
  /** Every node's state so far (ComfyUI's progress_state), sent after each change. */
  | { type: 'progress_state'; data: { prompt_id: string; nodes: Record<string, NodeProgressState> } }
  | { type: 'executed'; data: { prompt_id: string; node: string; display_node?: string; output: UiOutput } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: { prompt_id: string; node_id: string; node_type: string; executed: string[]; timestamp: number } }
  | { type: 'execution_success'; data: { prompt_id: string; timestamp: number } };

export type ExecutionStatus = 'success' | 'error' | 'interrupted';

export interface NodeProgressState {
  value: number;
  max: number;
  state: 'pending' | 'running' | 'finished' | 'error';
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: string | null;
  real_node_id: string;
}
