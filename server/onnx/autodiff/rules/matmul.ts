// MatMul (batched, broadcast, 1-D operands), Gemm, Einsum.
import { attrFloat, attrInt, attrString } from '../attrs.ts';
import type { Emitter } from '../emitter.ts';
import { GradientError, type GradRule } from '../rule.ts';

const swapLast = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];

function matmul(e: Emitter, a: string, b: string): string {
  const sa = e.shape(a), sb = e.shape(b);
  const batch = broadcastBatch(sa.slice(0, -2), sb.slice(0, -2));
  return e.op('MatMul', [a, b], {}, [...batch, sa[sa.length - 2], sb[sb.length - 1]], e.dtype(a));
}
function broadcastBatch(x: number[], y: number[]): number[] {
  const r = Math.max(x.length, y.length);
  return Array.from({ length: r }, (_, i) => Math.max(x[x.length - r + i] ?? 1, y[y.length - r + i] ?? 1));
}

export const MatMul: GradRule = ({ e, inputs: [a, b], gradOut: [g], needs }) => {
  const sa = e.shape(a), sb = e.shape(b);
  if (sa.length === 1 && sb.length === 1) {
    return [needs[0] ? e.mul(g!, b) : null, needs[1] ? e.mul(g!, a) : null];
  }
  // Promote 1-D operands as numpy does, and the gradient with them.
  const a2 = sa.length === 1 ? e.reshape(a, [1, sa[0]]) : a;
  const b2 = sb.length === 1 ? e.reshape(b, [sb[0], 1]) : b;
  const sa2 = e.shape(a2), sb2 = e.shape(b2);
  const gs = e.shape(g!);
  let g2 = g!;
  if (sa.length === 1) g2 = e.reshape(g2, [...gs.slice(0, -1), 1, gs[gs.length - 1]]);
  if (sb.length === 1) g2 = e.reshape(g2, [...e.shape(g2), 1]);
  // A gradient that is (src · c) for a scalar c: multiply the smaller products instead.
  let c = 1;
  if (g2 === g) { const u = e.unscale(g!); g2 = u.src; c = u.c; }
  const gs2 = e.shape(g2);
  let ga: string | null = null, gb: string | null = null;
  if (needs[0]) {
    const r = e.reduceTo(e.scaleBy(matmul(e, g2, e.transpose(b2, swapLast(sb2.length))), c), sa2);
    ga = e.reshape(r, sa);
  }
  if (needs[1]) {
    const k = sa2[sa2.length - 1], n = gs2[gs2.length - 1];
    if (sb2.length === 2 && sa2.length >= 2 && gs2.length === sa2.length) {
      // Weight gradient of a linear layer: one GEMM over all rows, no batched temporaries.
      const rows = sa2.slice(0, -1).reduce((x, y) => x * y, 1);
      const af = e.reshape(a2, [rows, k]), gf = e.reshape(g2, [rows, n]);
      gb = e.op('Gemm', [af, gf], { transA: 1, alpha: c }, [k, n], e.dtype(a));
    } else {
      gb = e.reduceTo(e.scaleBy(matmul(e, e.transpose(a2, swapLast(sa2.length)), g2), c), sb2);
    }
    gb = e.reshape(gb, sb);
  }
  return [ga, gb];
};

export const Gemm: GradRule = ({ e, node, inputs: [a, b, c], gradOut: [g], needs }) => {
  const alpha = attrFloat(node, 'alpha', 1), beta = attrFloat(node, 'beta', 1);
  const tA = attrInt(node, 'transA', 0), tB = attrInt(node, 'transB', 0);
  const gemm = (x: string, y: string, transA: number, transB: number, shape: number[], al: number) =>
    e.op('Gemm', [x, y], { transA, transB, alpha: al }, shape, e.dtype(x));
  const sa = e.shape(a), sb = e.shape(b);
  let ga: string | null = null, gb: string | null = null, gc: string | null = null;
  if (needs[0]) ga = tA === 0 ? gemm(g!, b, 0, tB === 0 ? 1 : 0, sa, alpha) : gemm(b, g!, tB, 1, sa, alpha);
  if (needs[1]) gb = tB === 0 ? gemm(a, g!, tA === 0 ? 1 : 0, 0, sb, alpha) : gemm(g!, a, 1, tA, sb, alpha);
  if (c && needs[2]) gc = e.reduceTo(beta === 1 ? g! : e.mul(g!, e.scalar(beta, g!)), e.shape(c));
  return [ga, gb, gc];
};

/** Parses an einsum equation into per-operand letter strings, expanding '...' to fresh letters. */
function parseEinsum(eq: string, ranks: number[]): { terms: string[]; out: string } {
  const clean = eq.replace(/\s+/g, '');
  const [lhs, rhs] = clean.split('->');
  const rawTerms = lhs.split(',');
  const used = new Set(clean.replace(/[^a-zA-Z]/g, ''));
  const fresh = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('').filter((ch) => !used.has(ch));
  let ell = 0;
  rawTerms.forEach((t, i) => { if (t.includes('...')) ell = Math.max(ell, ranks[i] - (t.length - 3)); });
  const ellLetters = fresh.slice(0, ell).join('');
  const terms = rawTerms.map((t, i) => (t.includes('...') ? t.replace('...', ellLetters.slice(ell - (ranks[i] - (t.length - 3)))) : t));
  let out: string;
  if (rhs !== undefined) out = rhs.replace('...', ellLetters);
  else {
    const count = new Map<string, number>();
    for (const t of terms) for (const ch of t) count.set(ch, (count.get(ch) ?? 0) + 1);
    out = ellLetters + [...count.entries()].filter(([ch, n]) => n === 1 && !ellLetters.includes(ch)).map(([ch]) => ch).sort().join('');
  }
  return { terms, out };
}

export const Einsum: GradRule = ({ e, node, inputs, gradOut: [g], needs }) => {
  const { terms, out } = parseEinsum(attrString(node, 'equation', ''), inputs.map((x) => e.shape(x).length));
  for (const t of terms) if (new Set(t).size !== t.length) throw new GradientError(node, `einsum with a repeated index in '${t}' (diagonals)`);
  return inputs.map((x, i) => {
    if (!needs[i]) return null;
    const others = terms.filter((_, j) => j !== i);
    const avail = new Set([...out, ...others.join('')]);
    const kept = [...terms[i]].filter((ch) => avail.has(ch)).join('');
    const sx = e.shape(x);
    const keptShape = [...kept].map((ch) => sx[terms[i].indexOf(ch)]);
    const eq = `${[out, ...others].join(',')}->${kept}`;
    let r = e.op('Einsum', [g!, ...inputs.filter((_, j) => j !== i)], { equation: eq }, keptShape, e.dtype(x));
    if (kept.length !== terms[i].length) {
      // Letters summed away in the forward pass: the gradient is broadcast along them.
      r = e.expand(e.reshape(r, [...terms[i]].map((ch, k) => (kept.includes(ch) ? sx[k] : 1))), sx);
    }
    return r;
  });
};
