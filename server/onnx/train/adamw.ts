// AdamW (decoupled weight decay, as torch.optim.AdamW) with per-group learning rates and
// global gradient-norm clipping (as torch.nn.utils.clip_grad_norm_). Deterministic: no
// randomness, fixed summation order, float64 moment arithmetic.
import type { Parameter } from './params.ts';

export interface ParamGroup {
  /** Which parameters belong to the group: names, a pattern, or a predicate. First match wins. */
  match: readonly string[] | RegExp | ((name: string) => boolean);
  lr: number;
  weightDecay?: number;
}
export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Clip the global L2 norm of all gradients to this value (none when undefined). */
  maxGradNorm?: number;
  groups?: ParamGroup[];
}

export interface AdamWState { t: number; m: Float64Array[]; v: Float64Array[] }

interface Slot { p: Parameter; m: Float64Array; v: Float64Array; lr: number; wd: number }

export class AdamW {
  private readonly slots: Slot[];
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  /** Multiplies every group's learning rate (for schedules). */
  lrScale = 1;

  constructor(params: readonly Parameter[], private readonly opts: AdamWOptions = {}) {
    [this.b1, this.b2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.slots = params.map((p) => {
      const g = (opts.groups ?? []).find((gr) => matches(gr.match, p.name));
      return { p, m: new Float64Array(p.data.length), v: new Float64Array(p.data.length),
        lr: g?.lr ?? opts.lr ?? 1e-3, wd: g?.weightDecay ?? opts.weightDecay ?? 0.01 };
    });
  }

  get stepCount(): number { return this.t; }

  /** Moments and step count, for checkpoints (parameters themselves are saved by the caller). */
  state(): AdamWState {
    return { t: this.t, m: this.slots.map((s) => s.m), v: this.slots.map((s) => s.v) };
  }

  /** Restores `state()` taken from an optimiser over the same parameters in the same order. */
  loadState(state: AdamWState): void {
    if (state.m.length !== this.slots.length || state.v.length !== this.slots.length) throw new Error(`AdamW: state holds ${state.m.length} slots, optimiser has ${this.slots.length}`);
    this.slots.forEach((s, i) => {
      if (state.m[i].length !== s.m.length || state.v[i].length !== s.v.length) throw new Error(`AdamW: state for '${s.p.name}' has the wrong length`);
      s.m.set(state.m[i]);
      s.v.set(state.v[i]);
    });
    this.t = state.t;
  }

  /** Applies one update from gradients keyed by parameter name; returns the pre-clip norm. */
  step(grads: Record<string, ArrayLike<number>>): { gradNorm: number } {
    let sq = 0;
    for (const s of this.slots) {
      const g = grads[s.p.name];
      if (!g) throw new Error(`AdamW: no gradient for parameter '${s.p.name}'`);
      if (g.length !== s.p.data.length) throw new Error(`AdamW: gradient for '${s.p.name}' has ${g.length} values, parameter ${s.p.data.length}`);
      for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    }
    const gradNorm = Math.sqrt(sq);
    const clip = this.opts.maxGradNorm !== undefined && gradNorm > this.opts.maxGradNorm ? this.opts.maxGradNorm / (gradNorm + 1e-6) : 1;
    this.t++;
    const bc1 = 1 - this.b1 ** this.t, bc2 = 1 - this.b2 ** this.t;
    for (const s of this.slots) {
      const g = grads[s.p.name];
      const { m, v } = s;
      const w = s.p.data;
      const lr = s.lr * this.lrScale;
      const decay = 1 - lr * s.wd;
      const stepSize = lr / bc1;
      const sqrtBc2 = Math.sqrt(bc2);
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] * clip;
        m[i] = this.b1 * m[i] + (1 - this.b1) * gi;
        v[i] = this.b2 * v[i] + (1 - this.b2) * gi * gi;
        w[i] = w[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + this.eps);
      }
    }
    return { gradNorm };
  }
}

function matches(m: ParamGroup['match'], name: string): boolean {
  if (m instanceof RegExp) return m.test(name);
  if (typeof m === 'function') return m(name);
  return m.includes(name);
}
