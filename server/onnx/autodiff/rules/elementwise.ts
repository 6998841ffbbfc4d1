// Elementwise ops. Broadcast gradients are summed back to each input's static shape.
import { attrFloat, attrInt, attrString } from '../attrs.ts';
import type { GradRule } from '../rule.ts';
import { isFloatType } from '../../tensor.ts';

/** d(out)/d(x) = local(x, y) * g for unary ops. */
const unary = (local: (ctx: Parameters<GradRule>[0], g: string) => string): GradRule => (ctx) => {
  const g = ctx.gradOut[0];
  return [g ? local(ctx, g) : null];
};

export const Add: GradRule = ({ e, inputs: [a, b], gradOut: [g] }) => [e.reduceTo(g!, e.shape(a)), e.reduceTo(g!, e.shape(b))];
export const Sub: GradRule = ({ e, inputs: [a, b], gradOut: [g], needs }) => [
  e.reduceTo(g!, e.shape(a)), needs[1] ? e.reduceTo(e.neg(g!), e.shape(b)) : null];
/** g · c for a scalar constant c, tagged so that consuming MatMul rules can fold c into alpha. */
function scaledGrad(e: Parameters<GradRule>[0]['e'], g: string, cName: string, c: number, x: string): string | null {
  if (!sameShape(e.shape(g), e.shape(x))) return null;
  const out = e.mul(g, cName);
  e.scaled.set(out, { src: g, c });
  return out;
}
function sameShape(a: number[], b: number[]) { return a.length === b.length && a.every((d, i) => d === b[i]); }
const scalarConst = (e: Parameters<GradRule>[0]['e'], name: string) => (e.shape(name).reduce((x, y) => x * y, 1) === 1 ? e.constant(name) : undefined);

export const Mul: GradRule = ({ e, inputs: [a, b], outputs: [y], gradOut: [g], needs, producer, consumers }) => {
  // SiLU, x·σ(x) with σ(x) used only here: d/dx = σ + y·(1 − σ), y the output; one rule
  // instead of Mul + Sigmoid + Sum.
  for (const [x, s] of [[a, b], [b, a]]) {
    const p = producer(s);
    if (p?.opType === 'Sigmoid' && p.input![0] === x && consumers(s).length === 1 && a !== b && sameShape(e.shape(x), e.shape(y))) {
      const d = e.add(s, e.sub(y, e.mul(y, s)));
      return x === a ? [e.mul(g!, d), null] : [null, e.mul(g!, d)];
    }
  }
  const cb = needs[0] ? scalarConst(e, b) : undefined;
  const ca = needs[1] ? scalarConst(e, a) : undefined;
  return [
    needs[0] ? (cb !== undefined ? scaledGrad(e, g!, b, cb, a) : null) ?? e.reduceTo(e.mul(g!, b), e.shape(a)) : null,
    needs[1] ? (ca !== undefined ? scaledGrad(e, g!, a, ca, b) : null) ?? e.reduceTo(e.mul(g!, a), e.shape(b)) : null];
};
export const Div: GradRule = ({ e, inputs: [a, b], outputs: [y], gradOut: [g], needs }) => {
  const cb = !needs[1] ? scalarConst(e, b) : undefined;
  if (cb !== undefined && cb !== 0) {
    const r = scaledGrad(e, g!, e.scalar(1 / cb, a), 1 / cb, a);
    if (r) return [r, null];
  }
  const gOverB = e.div(g!, b);
  return [needs[0] ? e.reduceTo(gOverB, e.shape(a)) : null,
    needs[1] ? e.reduceTo(e.neg(e.mul(gOverB, y)), e.shape(b)) : null];
};
export const Pow: GradRule = ({ e, inputs: [a, b], outputs: [y], gradOut: [g], needs }) => {
  let ga: string | null = null;
  if (needs[0]) {
    // Constant exponents (squares in decomposed variance, square roots) avoid a second Pow.
    const k = e.constant(b);
    if (k === 2) ga = e.mul(e.mul(g!, a), e.scalar(2, a));
    else if (k === 1) ga = g!;
    else if (k === 0.5) ga = e.div(e.mul(g!, e.scalar(0.5, a)), y);
    else if (k !== undefined) ga = e.mul(e.mul(g!, e.scalar(k, a)), e.pow(a, e.scalar(k - 1, a)));
    else {
      const bf = isFloatType(e.dtype(b)) ? b : e.cast(b, e.dtype(a));
      ga = e.mul(e.mul(g!, bf), e.pow(a, e.sub(bf, e.scalar(1, a))));
    }
    ga = e.reduceTo(ga, e.shape(a));
  }
  const gb = needs[1] ? e.reduceTo(e.mul(e.mul(g!, y), e.un('Log', a)), e.shape(b)) : null;
  return [ga, gb];
};
export const Sqrt = unary(({ e, outputs: [y] }, g) => e.div(e.mul(g, e.scalar(0.5, y)), y));
export const Neg = unary(({ e }, g) => e.neg(g));
export const Exp = unary(({ e, outputs: [y] }, g) => e.mul(g, y));
export const Log = unary(({ e, inputs: [x] }, g) => e.div(g, x));
export const Reciprocal = unary(({ e, outputs: [y] }, g) => e.neg(e.mul(g, e.mul(y, y))));
export const Erf = unary(({ e, inputs: [x] }, g) =>
  e.mul(g, e.mul(e.un('Exp', e.neg(e.mul(x, x))), e.scalar(2 / Math.sqrt(Math.PI), x))));
export const Sin = unary(({ e, inputs: [x] }, g) => e.mul(g, e.un('Cos', x)));
export const Cos = unary(({ e, inputs: [x] }, g) => e.neg(e.mul(g, e.un('Sin', x))));
export const Tanh = unary(({ e, outputs: [y] }, g) => e.mul(g, e.sub(e.scalar(1, y), e.mul(y, y))));
export const Sigmoid = unary(({ e, outputs: [y] }, g) => e.mul(g, e.mul(y, e.sub(e.scalar(1, y), y))));
export const Relu = unary(({ e, inputs: [x] }, g) => e.where(e.op('Greater', [x, e.scalar(0, x)], {}, e.shape(x), 9), g, e.scalar(0, x)));
export const LeakyRelu = unary(({ e, inputs: [x], node }, g) =>
  e.where(e.op('Greater', [x, e.scalar(0, x)], {}, e.shape(x), 9), g, e.mul(g, e.scalar(attrFloat(node, 'alpha', 0.01), x))));
export const Softplus = unary(({ e, inputs: [x] }, g) => e.mul(g, e.un('Sigmoid', x)));
export const Abs = unary(({ e, inputs: [x] }, g) => e.mul(g, e.un('Sign', x)));
export const Identity = unary((_, g) => g);
export const Dropout: GradRule = ({ gradOut: [g] }) => [g]; // inference mode: identity
export const Cast = unary(({ e, inputs: [x] }, g) => (e.dtype(g) === e.dtype(x) ? g : e.cast(g, e.dtype(x))));

export const Gelu = unary(({ e, inputs: [x], node }, g) => {
  const approx = attrString(node, 'approximate', 'none');
  if (approx === 'tanh') {
    // y = 0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3), c = sqrt(2/pi)
    const c = Math.sqrt(2 / Math.PI);
    const x2 = e.mul(x, x);
    const u = e.mul(e.mul(x, e.add(e.scalar(1, x), e.mul(x2, e.scalar(0.044715, x)))), e.scalar(c, x));
    const t = e.un('Tanh', u);
    const du = e.mul(e.add(e.scalar(1, x), e.mul(x2, e.scalar(3 * 0.044715, x))), e.scalar(c, x));
    const sech2 = e.sub(e.scalar(1, x), e.mul(t, t));
    const d = e.add(e.mul(e.add(e.scalar(1, x), t), e.scalar(0.5, x)), e.mul(e.mul(e.mul(x, e.scalar(0.5, x)), sech2), du));
    return e.mul(g, d);
  }
  // d/dx x Φ(x) = Φ(x) + x φ(x)
  const cdf = e.mul(e.add(e.scalar(1, x), e.un('Erf', e.mul(x, e.scalar(Math.SQRT1_2, x)))), e.scalar(0.5, x));
  const pdf = e.mul(e.un('Exp', e.mul(e.mul(x, x), e.scalar(-0.5, x))), e.scalar(1 / Math.sqrt(2 * Math.PI), x));
  return e.mul(g, e.add(cdf, e.mul(x, pdf)));
});

export const Where: GradRule = ({ e, inputs: [c, a, b], gradOut: [g], needs }) => {
  const zero = e.scalar(0, g!);
  return [null,
    needs[1] ? e.reduceTo(e.where(c, g!, zero), e.shape(a)) : null,
    needs[2] ? e.reduceTo(e.where(c, zero, g!), e.shape(b)) : null];
};

/** Max/Min of two or more inputs: the gradient goes to the (first) selected input. */
const select = (op: 'Max' | 'Min'): GradRule => ({ e, inputs, outputs: [y], gradOut: [g], needs }) => {
  let taken: string | null = null; // mask of positions already assigned (ties go to the first)
  return inputs.map((x, i) => {
    const eq = e.op('Equal', [x, y], {}, e.shape(y), 9);
    const mask = taken ? e.op('And', [eq, e.op('Not', [taken], {}, e.shape(y), 9)], {}, e.shape(y), 9) : eq;
    taken = taken ? e.op('Or', [taken, eq], {}, e.shape(y), 9) : eq;
    return needs[i] ? e.reduceTo(e.where(mask, g!, e.scalar(0, g!)), e.shape(x)) : null;
  });
};
export const Max = select('Max');
export const Min = select('Min');
export const Sum: GradRule = ({ e, inputs, gradOut: [g] }) => inputs.map((x) => e.reduceTo(g!, e.shape(x)));
export const Mean: GradRule = ({ e, inputs, gradOut: [g] }) => inputs.map((x) => e.reduceTo(e.mul(g!, e.scalar(1 / inputs.length, g!)), e.shape(x)));
export const Clip: GradRule = ({ e, inputs: [x, lo, hi], gradOut: [g] }) => {
  let mask: string | null = null;
  const and = (m: string) => (mask = mask ? e.op('And', [mask, m], {}, e.shape(x), 9) : m);
  if (lo) and(e.op('GreaterOrEqual', [x, lo], {}, e.shape(x), 9));
  if (hi) and(e.op('LessOrEqual', [x, hi], {}, e.shape(x), 9));
  return [mask ? e.where(mask, g!, e.scalar(0, x)) : g, null, null];
};
/** Piecewise-constant ops: zero gradient. */
const zero: GradRule = () => [null];
export const Floor = zero, Ceil = zero, Round = zero, Sign = zero;
void attrInt;
