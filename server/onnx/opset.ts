// A model's opset, and raising it where the ops of the graph mean the same at the higher one.
// Exporters write opset 14–17 (optimum's default is 14); graphs the studio adds to a model
// (losses, gradients) may need newer ops: ScatterND/ScatterElements with `reduction` (16),
// LayerNormalization (17).
import type { GraphProto, ModelProto } from './proto.ts';

/** The model's default-domain (ai.onnx) opset; 17 when it imports none. */
export function modelOpset(m: ModelProto): number {
  return (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 17;
}

/**
 * Ops whose meaning changed (not only gained optional inputs, attributes or types) from opset 13
 * to 17: RoiAlign's default coordinate_transformation_mode became half_pixel at 16. From 17 to
 * 18 the Reduce* family moved `axes` to an input, so raising stops at 17.
 */
const CHANGED_BY_17: Record<string, number> = { RoiAlign: 16 };
export const MAX_RAISED_OPSET = 17;

function opsIn(g: GraphProto | undefined, out: Set<string>): Set<string> {
  for (const n of g?.node ?? []) {
    if (!n.domain || n.domain === 'ai.onnx') out.add(n.opType ?? '');
    for (const a of n.attribute ?? []) {
      if (a.g) opsIn(a.g, out);
      for (const sub of a.graphs ?? []) opsIn(sub, out);
    }
  }
  return out;
}

/**
 * `model` at `target` opset (at most 17): a shallow copy sharing the graph, with the
 * default-domain import raised (IR version at least 8), or `model` itself when it is already
 * there. Throws when an op of the graph changed meaning on the way.
 */
export function raiseOpset(model: ModelProto, target: number): ModelProto {
  const from = modelOpset(model);
  if (from >= target) return model;
  if (from < 13 || target > MAX_RAISED_OPSET) throw new Error(`raiseOpset: only opsets 13–${MAX_RAISED_OPSET} are raised (from ${from} to ${target})`);
  for (const op of opsIn(model.graph, new Set())) {
    const at = CHANGED_BY_17[op];
    if (at !== undefined && at > from && at <= target) throw new Error(`raiseOpset: ${op} changed meaning at opset ${at}; cannot raise opset ${from} to ${target}`);
  }
  const opsetImport = (model.opsetImport ?? []).map((o) => (!o.domain || o.domain === 'ai.onnx' ? { ...o, version: target } : o));
  if (!opsetImport.some((o) => !o.domain || o.domain === 'ai.onnx')) opsetImport.push({ domain: '', version: target });
  return { ...model, opsetImport, irVersion: Math.max(model.irVersion ?? 8, 8) };
}
