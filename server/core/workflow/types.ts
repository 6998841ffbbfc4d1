// Wire types of the UI workflow format (litegraph's serialisation, what the canvas saves and
// `svdiff-studio run` reads), the API prompt it converts to (wire.ts), and the one thing
// converting needs to know of each node type. Types only: the client imports them too.
export type { ApiNode, ApiPrompt, Link } from '../wire.ts';

/** litegraph node modes (ComfyUI's LGraphEventMode): 0 always, 2 never (muted), 4 bypass. */
export const MODE_ALWAYS = 0;
export const MODE_MUTED = 2;
export const MODE_BYPASS = 4;

/** Front-end-only nodes: never in the API prompt; links through them follow the input at the output's index. */
export const VIRTUAL_NODE_TYPES: ReadonlySet<string> = new Set(['Reroute', 'Note', 'MarkdownNote', 'PrimitiveNode']);

export type NodeId = number | string;
/** A socket type: `IMAGE`, `*` (any), `INT,FLOAT` (either); litegraph allows numbers for events. */
export type SlotType = string | number;

export interface WorkflowInput {
  name: string;
  type?: SlotType;
  /** The id of the link feeding this input. */
  link?: number | null;
  /** Set on the input slot of a widget (a widget converted to an input). */
  widget?: { name: string };
  [k: string]: unknown;
}
export interface WorkflowOutput {
  name?: string;
  type?: SlotType;
  links?: number[] | null;
  [k: string]: unknown;
}
export interface WorkflowNode {
  id: NodeId;
  type: string;
  title?: string;
  /** 0 always (default), 2 muted, 4 bypassed. */
  mode?: number;
  inputs?: WorkflowInput[];
  outputs?: WorkflowOutput[];
  /** Widget values in the node type's widget order (a seed-like INT is followed by its control), or by name. */
  widgets_values?: unknown[] | Record<string, unknown>;
  [k: string]: unknown;
}
/** `[id, originId, originSlot, targetId, targetSlot, type]` (format 0.4). */
export type WorkflowLinkTuple = [id: number, originId: NodeId, originSlot: number, targetId: NodeId, targetSlot: number, type?: SlotType, ...rest: unknown[]];
/** The object form newer front-ends write (format 1). */
export interface WorkflowLinkObject {
  id: number;
  origin_id: NodeId;
  origin_slot: number;
  target_id: NodeId;
  target_slot: number;
  type?: SlotType;
  [k: string]: unknown;
}
export type WorkflowLink = WorkflowLinkTuple | WorkflowLinkObject;
export interface WorkflowGroup {
  title?: string;
  /** `[x, y, width, height]` */
  bounding?: number[];
  color?: string;
  [k: string]: unknown;
}
export interface Workflow {
  last_node_id?: number;
  last_link_id?: number;
  nodes: WorkflowNode[];
  links?: WorkflowLink[];
  groups?: WorkflowGroup[];
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  version?: number;
  [k: string]: unknown;
}

/** One input of a node type, as converting needs it. */
export interface NodeInputInfo {
  name: string;
  /** The socket type, or for a literal its widget type (INT, FLOAT, STRING, BOOLEAN, COMBO). */
  type: string;
  /** A literal shown as a widget: it has an entry in widgets_values. */
  widget: boolean;
  /** A seed-like INT: its widgets_values entry is followed by one for "control after generate". */
  controlAfterGenerate?: boolean;
  /** Taken when widgets_values has no entry for it. */
  default?: unknown;
}
/** What converting needs of a node type; each side builds it from the definitions it has. */
export interface NodeTypeInfo {
  /** The title of a node that has none of its own. */
  displayName: string;
  /** Every input in object_info's input_order: required, then optional. */
  inputs: readonly NodeInputInfo[];
}
/** A node type by class_type; undefined for an unknown one. */
export type NodeTypeLookup = (type: string) => NodeTypeInfo | undefined;
