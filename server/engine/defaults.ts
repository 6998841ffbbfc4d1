// The one rule for absent inputs: an optional widget the prompt leaves out takes its default.
// Validation, cache keys and the run-time inputs all apply it through here, so a node's `run`
// sees such widgets as present (their type says so: core's InputValues).
import { isWidgetType, type InputSpec } from '../core/index.ts';

/** The value an absent input takes: its default for an optional widget that has one, else undefined. */
export function absentValue(spec: InputSpec): unknown {
  return spec.optional && isWidgetType(spec.type) && 'default' in spec ? spec.default : undefined;
}
