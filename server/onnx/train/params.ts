// Trainable parameters: initializers lifted to graph inputs so one session serves every step
// (the optimiser updates plain Float32Arrays in place and feeds them back).
import { makeValueInfo } from '../builder.ts';
import { cloneModelTree, readTensorBytes } from '../io.ts';
import type { ModelProto } from '../proto.ts';
import { DataType } from '../proto.ts';
import { makeTensor } from '../tensor.ts';

export interface Parameter { name: string; dims: number[]; data: Float32Array }

export function liftParameters(model: ModelProto, names: readonly string[]): { model: ModelProto; params: Parameter[] } {
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const wanted = new Set(names);
  const params: Parameter[] = [];
  const keep = [];
  for (const t of g.initializer ?? []) {
    if (!wanted.has(t.name!)) { keep.push(t); continue; }
    if (t.dataType !== DataType.FLOAT) throw new Error(`parameter '${t.name}' is not float32`);
    const bytes = readTensorBytes(t);
    const data = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(data.buffer).set(bytes);
    params.push({ name: t.name!, dims: [...(t.dims ?? [])], data });
    wanted.delete(t.name!);
  }
  if (wanted.size) throw new Error(`not initializers of the model: ${[...wanted].join(', ')}`);
  g.initializer = keep;
  // Some exporters list initializers among the inputs too: keep one declaration.
  const declared = new Set((g.input ?? []).map((v) => v.name));
  g.input = [...(g.input ?? []), ...params.filter((p) => !declared.has(p.name)).map((p) => makeValueInfo(p.name, 'float32', p.dims))];
  return { model: out, params };
}

/** Writes parameter values back into the model as initializers (undoes liftParameters). */
export function bakeParameters(model: ModelProto, params: readonly Parameter[]): ModelProto {
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const names = new Set(params.map((p) => p.name));
  g.input = (g.input ?? []).filter((v) => !names.has(v.name!));
  g.initializer = [...(g.initializer ?? []).filter((t) => !names.has(t.name!)), ...params.map((p) => makeTensor(p.name, Float32Array.from(p.data), p.dims))];
  return out;
}
