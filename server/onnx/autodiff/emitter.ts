// Emits the backward graph: typed, opset-aware helpers over GraphBuilder so rules stay short.
import { GraphBuilder, type Attrs } from '../builder.ts';
import { DataType } from '../proto.ts';
import type { ShapeMap } from '../shapes.ts';
import { dtypeOf, numel, toTyped } from '../tensor.ts';

export class Emitter {
  readonly b: GraphBuilder;
  private readonly consts = new Map<string, string>();

  /** Values of small constants (initializers / Constant nodes, ≤ 64 elements) of the forward graph. */
  readonly floatValues = new Map<string, number[]>();

  /** Gradients that are `src · c` for a scalar constant c (lets MatMul rules fold c into alpha). */
  readonly scaled = new Map<string, { src: string; c: number }>();

  constructor(readonly opset: number, readonly shapes: ShapeMap, taken: Iterable<string>) {
    this.b = new GraphBuilder({ opset });
    this.b.reserve(taken);
  }

  shape(name: string): number[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`no static shape for tensor '${name}'`);
    return s.dims;
  }
  dtype(name: string): number { return this.shapes.get(name)?.dataType ?? DataType.FLOAT; }
  /** Static values of a small integer tensor (from the probe), or undefined. */
  value(name: string): number[] | undefined { return name ? this.shapes.get(name)?.value : undefined; }

  /** Value of a scalar (one-element) constant, float or int, if known. */
  constant(name: string): number | undefined {
    const v = this.floatValues.get(name);
    if (v && v.length === 1) return v[0];
    const iv = this.value(name);
    return iv && iv.length === 1 ? iv[0] : undefined;
  }

  /** `g` = `src · c` when g was emitted as a product with a scalar constant. */
  unscale(g: string): { src: string; c: number } {
    return this.scaled.get(g) ?? { src: g, c: 1 };
  }
  /** x · c with c a plain number (no node when c = 1). */
  scaleBy(x: string, c: number): string { return c === 1 ? x : this.mul(x, this.scalar(c, x)); }

  /** Records the static shape/dtype of an emitted tensor. */
  private note(name: string, dims: number[], dataType: number): string {
    this.shapes.set(name, { dims, dataType });
    return name;
  }

  op(opType: string, inputs: string[], attrs: Attrs, dims: number[], dataType: number, base?: string): string {
    const out = this.b.node(opType, inputs, attrs, { name: base ? `grad_${base}` : `grad_${opType}` });
    return this.note(out, dims, dataType);
  }

  /** A node with several outputs, each with its static shape and dtype. */
  opMulti(opType: string, inputs: string[], attrs: Attrs, outs: { dims: number[]; dataType: number }[], base?: string): string[] {
    const names = this.b.nodeMulti(opType, inputs, attrs, { name: `grad_${base ?? opType}`, outputs: outs.length });
    return names.map((n, i) => this.note(n, outs[i].dims, outs[i].dataType));
  }

  /** Scalar constant with `like`'s float type. */
  scalar(value: number, like: string): string {
    const dt = this.dtype(like);
    const key = `${dt}:${value}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.b.constant([value], [], dtypeOf(dt), 'grad_const');
      this.note(n, [], dt);
      this.consts.set(key, n);
    }
    return n;
  }
  ints(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.b.ints(values);
      this.note(n, [values.length], DataType.INT64);
      this.consts.set(key, n);
    }
    return n;
  }
  intScalar(v: number): string {
    const key = `i64s:${v}`;
    let n = this.consts.get(key);
    if (!n) {
      n = this.b.constant([v], [], 'int64', 'int');
      this.note(n, [], DataType.INT64);
      this.consts.set(key, n);
    }
    return n;
  }
  /** A float tensor constant with `like`'s dtype. */
  tensor(values: number[], dims: number[], like: string): string {
    const dt = this.dtype(like);
    const n = this.b.constant(values, dims, dtypeOf(dt), 'grad_tensor');
    return this.note(n, dims, dt);
  }
  zeros(dims: number[], like: string): string {
    const dt = this.dtype(like);
    // A zero of `like`'s element type (ConstantOfShape's value fixes the output type).
    const zero = toTyped([0], dtypeOf(dt));
    const shapeC = this.ints(dims);
    const t = { name: 'value', dims: [1], dataType: dt, rawData: new Uint8Array(zero.buffer, zero.byteOffset, zero.byteLength) };
    return this.op('ConstantOfShape', [shapeC], { value: t }, dims, dt, 'zeros');
  }

  // --- elementwise (shapes follow numpy broadcasting) ---
  private bin(op: string, a: string, b: string): string {
    return this.op(op, [a, b], {}, broadcastShapes(this.shape(a), this.shape(b)), this.dtype(a));
  }
  add(a: string, b: string) { return this.bin('Add', a, b); }
  sub(a: string, b: string) { return this.bin('Sub', a, b); }
  mul(a: string, b: string) { return this.bin('Mul', a, b); }
  div(a: string, b: string) { return this.bin('Div', a, b); }
  pow(a: string, b: string) { return this.bin('Pow', a, b); }
  un(op: string, a: string, attrs: Attrs = {}) { return this.op(op, [a], attrs, this.shape(a), this.dtype(a)); }
  neg(a: string) { return this.un('Neg', a); }
  where(c: string, a: string, b: string) {
    return this.op('Where', [c, a, b], {}, broadcastShapes(this.shape(c), broadcastShapes(this.shape(a), this.shape(b))), this.dtype(a));
  }
  cast(a: string, to: number) { return this.op('Cast', [a], { to }, this.shape(a), to); }
  sum(xs: string[]): string { return xs.length === 1 ? xs[0] : this.op('Sum', xs, {}, this.shape(xs[0]), this.dtype(xs[0])); }

  // --- shape ops ---
  reshape(x: string, dims: number[]): string {
    if (sameDims(this.shape(x), dims)) return x;
    return this.op('Reshape', [x, this.ints(dims)], {}, dims, this.dtype(x));
  }
  transpose(x: string, perm: number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const s = this.shape(x);
    return this.op('Transpose', [x], { perm }, perm.map((p) => s[p]), this.dtype(x));
  }
  expand(x: string, dims: number[]): string {
    if (sameDims(this.shape(x), dims)) return x;
    return this.op('Expand', [x, this.ints(dims)], {}, dims, this.dtype(x));
  }
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    const s = this.shape(x);
    const ax = axes.map((a) => (a < 0 ? a + s.length : a));
    if (ax.length === 0) return x;
    const dims = keepdims ? s.map((d, i) => (ax.includes(i) ? 1 : d)) : s.filter((_, i) => !ax.includes(i));
    return this.op('ReduceSum', [x, this.ints(ax)], { keepdims: keepdims ? 1 : 0 }, dims, this.dtype(x));
  }
  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    const s = this.shape(x);
    const ax = axes.map((a) => (a < 0 ? a + s.length : a));
    const dims = keepdims ? s.map((d, i) => (ax.includes(i) ? 1 : d)) : s.filter((_, i) => !ax.includes(i));
    return this.opset >= 18
      ? this.op('ReduceMean', [x, this.ints(ax)], { keepdims: keepdims ? 1 : 0 }, dims, this.dtype(x))
      : this.op('ReduceMean', [x], { axes: ax, keepdims: keepdims ? 1 : 0 }, dims, this.dtype(x));
  }
  slice(x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
    const s = this.shape(x);
    const dims = [...s];
    axes.forEach((a, i) => {
      const st = steps?.[i] ?? 1;
      dims[a] = Math.max(0, Math.ceil((ends[i] - starts[i]) / st));
    });
    const ins = [x, this.ints(starts), this.ints(ends), this.ints(axes)];
    if (steps) ins.push(this.ints(steps));
    return this.op('Slice', ins, {}, dims, this.dtype(x));
  }
  concat(xs: string[], axis: number): string {
    const s = [...this.shape(xs[0])];
    s[axis] = xs.reduce((acc, x) => acc + this.shape(x)[axis], 0);
    return this.op('Concat', xs, { axis }, s, this.dtype(xs[0]));
  }
  split(x: string, axis: number, sizes: number[]): string[] {
    const s = this.shape(x);
    const outs = this.b.nodeMulti('Split', [x, this.ints(sizes)], { axis }, { outputs: sizes.length, name: 'grad_Split' });
    outs.forEach((o, i) => { const d = [...s]; d[axis] = sizes[i]; this.note(o, d, this.dtype(x)); });
    return outs;
  }
  pad(x: string, pads: number[]): string {
    if (pads.every((p) => p === 0)) return x;
    const s = this.shape(x);
    const r = s.length;
    const dims = s.map((d, i) => d + pads[i] + pads[i + r]);
    return this.op('Pad', [x, this.ints(pads)], {}, dims, this.dtype(x));
  }

  /** Sums a broadcast gradient back to `target` dims (numpy broadcasting rules). */
  reduceTo(g: string, target: readonly number[]): string {
    const s = this.shape(g);
    if (sameDims(s, target)) return g;
    const lead = s.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      if (i < lead) axes.push(i);
      else if (target[i - lead] === 1 && s[i] !== 1) axes.push(i);
    }
    const r = axes.length ? this.reduceSum(g, axes, true) : g;
    return this.reshape(r, [...target]);
  }
}

export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : y === 1 ? x : x === y ? x : NaN);
    if (Number.isNaN(out[i])) throw new Error(`cannot broadcast [${a}] with [${b}]`);
  }
  return out;
}
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
export { numel };
