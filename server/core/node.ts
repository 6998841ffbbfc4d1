// The node contract every layer shares: a node type is a typed schema plus a `run` function.
// The engine only ever sees `NodeDefinition`; node files write theirs with `defineNode`
// (nodes/define.ts), so `run` gets inputs typed from the schema. Values that flow between
// nodes are in values.ts; API prompts and their errors in wire.ts.
import type { DeviceName } from './device.ts';
import type { ImageBatch, UiOutput } from './values.ts';
import type { Storage } from './storage.ts';
import type { ApiPrompt } from './wire.ts';

/** Widget (literal) input types. Everything else is a socket type carried over a link. */
export type WidgetType = 'INT' | 'FLOAT' | 'STRING' | 'BOOLEAN' | 'COMBO';

/**
 * What each socket type carries at run time. Layers that introduce a socket type
 * (MODEL, SVD, SHIFTS, LATENT) augment this interface:
 *   declare module '../core/node.ts' { interface SocketValues { MODEL: LoadedModel } }
 */
export interface SocketValues {
  INT: number;
  FLOAT: number;
  STRING: string;
  BOOLEAN: boolean;
  COMBO: string;
  /** float32 NHWC in [0,1], batch first. */
  IMAGE: ImageBatch;
}

/** A COMBO's options may depend on the data folder (e.g. files in input/). */
export type ComboOptions = readonly string[] | ((env: OptionsEnv) => readonly string[] | Promise<readonly string[]>);

export interface OptionsEnv {
  storage: Storage;
}

interface InputBase {
  optional?: boolean;
  tooltip?: string;
}
export interface IntInput extends InputBase {
  type: 'INT';
  default: number;
  min?: number;
  max?: number;
  step?: number;
  /** Seed-like widgets: the client offers fixed / increment / randomize after queueing. */
  controlAfterGenerate?: boolean;
}
export interface FloatInput extends InputBase {
  type: 'FLOAT';
  default: number;
  min?: number;
  max?: number;
  step?: number;
}
export interface StringInput extends InputBase {
  type: 'STRING';
  default: string;
  multiline?: boolean;
}
export interface BooleanInput extends InputBase {
  type: 'BOOLEAN';
  default: boolean;
}
export interface ComboInput extends InputBase {
  type: 'COMBO';
  options: ComboOptions;
  default?: string;
  /** LoadImage-style combos accept an uploaded file. */
  imageUpload?: boolean;
}
/** A socket input: only a link can feed it. */
export interface SocketInput extends InputBase {
  type: Exclude<keyof SocketValues, WidgetType> | (string & {});
}

export type InputSpec = IntInput | FloatInput | StringInput | BooleanInput | ComboInput | SocketInput;

export interface OutputSpec {
  name: string;
  type: string;
}

type ValueOf<T extends string> = T extends keyof SocketValues ? SocketValues[T] : unknown;

/**
 * The run-time inputs of a node, typed from its schema. An optional input may be undefined —
 * unless it is a widget with a default, which the engine fills in when the prompt leaves it out.
 */
export type InputValues<I extends Record<string, InputSpec>> = {
  [K in keyof I]: I[K] extends { optional: true } ? (I[K] extends { default: unknown } ? ValueOf<I[K]['type']> : ValueOf<I[K]['type']> | undefined) : ValueOf<I[K]['type']>;
};

export type OutputValues<O extends readonly OutputSpec[]> = { [K in keyof O]: O[K] extends OutputSpec ? ValueOf<O[K]['type']> : never };

export interface NodeResult<O extends readonly OutputSpec[] = readonly OutputSpec[]> {
  outputs: OutputValues<O>;
  ui?: UiOutput;
}

/** Execution-provider settings for ORT sessions; server/onnx owns the sessions themselves. */
export interface Runtime {
  readonly device: DeviceName;
}

export interface ProgressExtra {
  /** Training nodes report their loss. */
  loss?: number;
  /** A PNG preview (sent to clients as a binary frame; may be skipped for a slow client). */
  preview?: Uint8Array;
  /** A PNG output sent to the prompt's client in the preview frame layout, never throttled or dropped (SaveImageWebsocket). */
  image?: Uint8Array;
}

export interface NodeContext {
  readonly promptId: string;
  readonly nodeId: string;
  /** Aborted on interrupt; long loops check it at least once a second. */
  readonly signal: AbortSignal;
  progress(value: number, max: number, extra?: ProgressExtra): void;
  /**
   * Whether the client asked for live previews (ComfyUI's `extra_data.preview_method`: anything
   * but absent, "none" or "default"). Nodes skip computing previews when false; the engine drops them too.
   */
  readonly previews: boolean;
  log(message: string): void;
  readonly storage: Storage;
  readonly runtime: Runtime;
  /** The API-format prompt being run and the client's extra data (for PNG metadata). */
  readonly prompt: ApiPrompt;
  readonly extraData: Record<string, unknown>;
}

export interface NodeDefinition<
  I extends Record<string, InputSpec> = Record<string, InputSpec>,
  O extends readonly OutputSpec[] = readonly OutputSpec[],
> {
  /** The class_type: a contract for workflows and scripts. */
  type: string;
  displayName: string;
  category: string;
  description: string;
  inputs: I;
  outputs: O;
  outputNode?: boolean;
  /**
   * Extra cache-key material for nodes whose result depends on more than their inputs
   * (a file's content, say). Return the same string when nothing changed.
   */
  fingerprint?(inputs: InputValues<I>, env: OptionsEnv): string | Promise<string>;
  /** Checks beyond the schema (e.g. a file exists); return an error message per input. */
  validate?(inputs: Partial<InputValues<I>>, env: OptionsEnv): Record<string, string> | Promise<Record<string, string>>;
  run(inputs: InputValues<I>, ctx: NodeContext): Promise<NodeResult<O>>;
}

export function isWidgetType(type: string): type is WidgetType {
  return type === 'INT' || type === 'FLOAT' || type === 'STRING' || type === 'BOOLEAN' || type === 'COMBO';
}
