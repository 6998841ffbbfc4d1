// In-graph loss helpers: they return a new model with the loss as an extra output.
import { makeValueInfo } from '../builder.ts';
import { cloneModelTree } from '../io.ts';
import type { ModelProto, ValueInfoProto } from '../proto.ts';
import { makeTensor } from '../tensor.ts';

function valueInfoOf(m: ModelProto, name: string): ValueInfoProto | undefined {
  const g = m.graph!;
  return [...(g.output ?? []), ...(g.valueInfo ?? []), ...(g.input ?? [])].find((v) => v.name === name);
}

/** loss = weight · mean((output − target)²), with `target` a new graph input shaped like `output`. */
export function addMseLoss(model: ModelProto, opts: { output: string; target?: string; name?: string; weight?: number }): ModelProto {
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const target = opts.target ?? `${opts.output}_target`;
  const name = opts.name ?? 'loss';
  const vi = valueInfoOf(model, opts.output);
  const elemType = vi?.type?.tensorType?.elemType ?? 1;
  g.input = [...(g.input ?? []), vi?.type ? { name: target, type: vi.type } : makeValueInfo(target, elemType)];
  const diff = `${name}/diff`, sq = `${name}/sq`, mean = opts.weight === undefined || opts.weight === 1 ? name : `${name}/mean`;
  const nodes = [
    { opType: 'Sub', name: `${name}/Sub`, input: [opts.output, target], output: [diff] },
    { opType: 'Mul', name: `${name}/Mul`, input: [diff, diff], output: [sq] },
    { opType: 'ReduceMean', name: `${name}/ReduceMean`, input: [sq], output: [mean], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
  ];
  g.node = [...(g.node ?? []), ...nodes];
  if (mean !== name) {
    const w = `${name}/weight`;
    g.initializer = [...(g.initializer ?? []), makeTensor(w, elemType === 11 ? new Float64Array([opts.weight!]) : new Float32Array([opts.weight!]), [])];
    g.node.push({ opType: 'Mul', name: `${name}/Scale`, input: [mean, w], output: [name] });
  }
  g.output = [...(g.output ?? []), makeValueInfo(name, elemType, [])];
  return out;
}

/** loss = Σ wᵢ · termᵢ over scalar tensors of the graph. */
export function addWeightedSum(model: ModelProto, terms: { name: string; weight: number }[], name = 'loss'): ModelProto {
  const out = cloneModelTree(model) as ModelProto;
  const g = out.graph!;
  const elemType = valueInfoOf(model, terms[0].name)?.type?.tensorType?.elemType ?? 1;
  const scaled = terms.map((t, i) => {
    if (t.weight === 1) return t.name;
    const w = `${name}/w${i}`;
    g.initializer = [...(g.initializer ?? []), makeTensor(w, elemType === 11 ? new Float64Array([t.weight]) : new Float32Array([t.weight]), [])];
    const o = `${name}/term${i}`;
    g.node = [...(g.node ?? []), { opType: 'Mul', name: `${name}/Mul${i}`, input: [t.name, w], output: [o] }];
    return o;
  });
  g.node = [...(g.node ?? []), { opType: 'Sum', name: `${name}/Sum`, input: scaled, output: [name] }];
  g.output = [...(g.output ?? []), makeValueInfo(name, elemType, [])];
  return out;
}
