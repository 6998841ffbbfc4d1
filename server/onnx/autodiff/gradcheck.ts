// Finite-difference gradient check: builds a model from a callback, adds a random projection
// loss, differentiates it, and compares ⟨grad, v⟩ with central differences along random v.
// Also checks that the gradient model's original outputs equal the forward model's exactly.
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../builder.ts';
import type { ModelProto } from '../proto.ts';
import { createSession } from '../session.ts';
import { differentiate, type DifferentiateOptions } from './differentiate.ts';

export interface GradInput {
  shape: number[];
  dtype?: 'float32' | 'float64' | 'int64';
  /** Values; random normal (seeded) when omitted. */
  data?: number[];
  /** Also compute / check the gradient w.r.t. this input (default: every float input). */
  wrt?: boolean;
  /** Make it an initializer instead of a graph input. */
  initializer?: boolean;
}
export interface GradCheckOptions {
  opset?: number;
  seed?: number;
  eps?: number;
  rtol?: number;
  atol?: number;
  directions?: number;
  /** ORT graph optimisation for both sessions (default 'basic': see README on exactness). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Passed to differentiate. */
  attention?: DifferentiateOptions['attention'];
}
export interface GradCheckResult {
  checks: { input: string; analytic: number; numeric: number; ok: boolean }[];
  outputsIdentical: boolean;
  gradModel: ModelProto;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}
export function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

export async function gradCheck(build: (b: GraphBuilder) => string, inputs: Record<string, GradInput>, opts: GradCheckOptions = {}): Promise<GradCheckResult> {
  const rand = rng(opts.seed ?? 1234);
  const b = new GraphBuilder({ opset: opts.opset ?? 18 });
  const values: Record<string, number[]> = {};
  const floatDt = Object.values(inputs).find((i) => i.dtype === 'float64') ? 'float64' : 'float32';
  for (const [name, inp] of Object.entries(inputs)) {
    const n = inp.shape.reduce((a, c) => a * c, 1);
    values[name] = inp.data ?? Array.from({ length: n }, () => normal(rand));
    const dt = inp.dtype ?? 'float32';
    if (inp.initializer) b.initializer(name, values[name], inp.shape, dt);
    else b.input(name, dt, inp.shape);
  }
  const y = build(b);
  // Probe y's shape with a plain forward run, then add loss = Σ y·r with a fixed random r.
  const feeds = (vals: Record<string, number[]>) => {
    const f: Record<string, ort.Tensor> = {};
    for (const [name, inp] of Object.entries(inputs)) {
      if (inp.initializer) continue;
      const dt = inp.dtype ?? 'float32';
      const v = vals[name];
      f[name] = dt === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(v.map((x) => BigInt(x))), inp.shape)
        : dt === 'float64' ? new ort.Tensor('float64', Float64Array.from(v), inp.shape) : new ort.Tensor('float32', Float32Array.from(v), inp.shape);
    }
    return f;
  };
  b.output(y, floatDt);
  const probe = await (await createSession(b.toModel(), { cache: false })).run(feeds(values));
  const yDims = [...probe[y].dims];
  const r = b.constant(Array.from({ length: probe[y].size }, () => normal(rand)), yDims, floatDt, 'proj');
  b.node('ReduceSum', [b.node('Mul', [y, r]), ], { keepdims: 0 }, { output: 'loss' });
  b.output('loss', floatDt, []);
  const model = b.toModel();
  const wrt = Object.entries(inputs).filter(([, i]) => (i.wrt ?? (i.dtype ?? 'float32') !== 'int64')).map(([n]) => n);
  const gradModel = await differentiate(model, { loss: 'loss', wrt, attention: opts.attention });
  const optimization = opts.optimization ?? 'basic';
  const fwd = await createSession(model, { cache: false, optimization });
  const bwd = await createSession(gradModel, { cache: false, optimization });
  const base = await fwd.run(feeds(values));
  const full = await bwd.run(feeds(values));
  const outputsIdentical = [y, 'loss'].every((o) => {
    const a = base[o].data as Float32Array, c = full[o].data as Float32Array;
    return a.length === c.length && a.every((v, i) => Object.is(v, c[i]) || v === c[i]);
  });
  const eps = opts.eps ?? (floatDt === 'float64' ? 1e-6 : 1e-2);
  const rtol = opts.rtol ?? (floatDt === 'float64' ? 1e-5 : 3e-3);
  const checks: GradCheckResult['checks'] = [];
  for (const w of wrt) {
    const grad = full[`grad/${w}`].data as Float32Array;
    const inp = inputs[w];
    for (let k = 0; k < (opts.directions ?? 2); k++) {
      const v = values[w].map(() => normal(rand));
      const analytic = v.reduce((acc, vi, i) => acc + vi * grad[i], 0);
      const loss = async (sign: number) => {
        const vals = { ...values, [w]: values[w].map((x, i) => x + sign * eps * v[i]) };
        if (inp.initializer) {
          // Initializers are baked in: rebuild the model with the perturbed value.
          const m = structuredClone(model);
          const t = m.graph!.initializer!.find((t) => t.name === w)!;
          const arr = floatDt === 'float64' || inp.dtype === 'float64' ? Float64Array.from(vals[w]) : Float32Array.from(vals[w]);
          t.rawData = new Uint8Array(arr.buffer);
          return Number((await (await createSession(m, { cache: false })).run(feeds(vals))).loss.data[0]);
        }
        return Number((await fwd.run(feeds(vals))).loss.data[0]);
      };
      const numeric = ((await loss(1)) - (await loss(-1))) / (2 * eps);
      const scale = Math.max(Math.abs(analytic), Math.abs(numeric), 1);
      const ok = Math.abs(analytic - numeric) <= (opts.atol ?? 0) + rtol * scale;
      checks.push({ input: w, analytic, numeric, ok });
    }
  }
  return { checks, outputsIdentical, gradModel };
}
