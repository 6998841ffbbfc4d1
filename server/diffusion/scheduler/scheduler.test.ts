import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DDIMInverseScheduler,
  DDIMScheduler,
  DDIM_DEFAULTS,
  SD15_SCHEDULER,
  ddimInverseTimesteps,
  ddimTimesteps,
  linspaceF32,
  parseSchedulerConfig,
  readSchedulerConfig,
  roundHalfEven,
  type SchedulerConfig,
} from './index.ts';

// Stable Diffusion v1's scheduler_config.json as the hub ships it (a PNDM config).
const SD_JSON = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.7.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

function seq(n: number, fn: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => fn(i));
}

describe('scheduler config', () => {
  it('reads SD 1.x scheduler_config.json, ignoring unknown keys', () => {
    const cfg = parseSchedulerConfig(SD_JSON);
    expect(cfg).toEqual(SD15_SCHEDULER);
  });

  it('uses DDIM defaults for missing fields', () => {
    expect(parseSchedulerConfig({})).toEqual(DDIM_DEFAULTS);
  });

  it('rejects invalid values naming the field', () => {
    expect(() => parseSchedulerConfig({ beta_schedule: 'cosine' })).toThrow(/"beta_schedule".*scaled_linear/);
    expect(() => parseSchedulerConfig({ timestep_spacing: 'even' })).toThrow(/"timestep_spacing"/);
    expect(() => parseSchedulerConfig({ prediction_type: 'x0' })).toThrow(/"prediction_type"/);
    expect(() => parseSchedulerConfig({ thresholding: true })).toThrow(/"thresholding".*not supported/);
    expect(() => parseSchedulerConfig({ num_train_timesteps: 10.5 })).toThrow(/"num_train_timesteps"/);
    expect(() => parseSchedulerConfig({ clip_sample: 'yes' })).toThrow(/"clip_sample"/);
    expect(() => parseSchedulerConfig({ trained_betas: [0.1] }, 'x/scheduler_config.json')).toThrow(
      /x\/scheduler_config\.json: field "trained_betas"/,
    );
    expect(() => parseSchedulerConfig([])).toThrow(/JSON object/);
  });

  it('reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-'));
    const file = join(dir, 'scheduler_config.json');
    writeFileSync(file, JSON.stringify(SD_JSON));
    expect(readSchedulerConfig(file).stepsOffset).toBe(1);
    writeFileSync(file, '{nope');
    expect(() => readSchedulerConfig(file)).toThrow(/scheduler_config\.json: invalid JSON/);
    expect(() => readSchedulerConfig(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });
});

describe('noise schedule', () => {
  const s = new DDIMScheduler(SD15_SCHEDULER);

  it('matches diffusers reference ᾱ for SD (scaled_linear 0.00085 → 0.012)', () => {
    const ac = s.schedule.alphasCumprod;
    expect(ac.length).toBe(1000);
    expect(ac[0]).toBeCloseTo(0.99915, 7);
    expect(Math.abs(ac[980] - 0.0058438)).toBeLessThan(1e-7);
    expect(Math.abs(ac[999] - 0.0046601)).toBeLessThan(1e-7);
    expect(s.schedule.betas[0]).toBe(Math.fround(Math.fround(Math.sqrt(0.00085)) ** 2));
    expect(s.schedule.boundaryAlphaCumprod).toBe(ac[0]); // set_alpha_to_one false
    expect(new DDIMScheduler({ ...SD15_SCHEDULER, setAlphaToOne: true }).schedule.boundaryAlphaCumprod).toBe(1);
  });

  it('linspaceF32 hits both ends exactly and is float32', () => {
    const l = linspaceF32(0.1, 0.7, 7);
    expect(l[0]).toBe(Math.fround(0.1));
    expect(l[6]).toBe(Math.fround(0.7));
    for (const v of l) expect(v).toBe(Math.fround(v));
  });

  it('linear and cosine schedules are monotone with ᾱ decreasing', () => {
    for (const betaSchedule of ['linear', 'squaredcos_cap_v2'] as const) {
      const ac = new DDIMScheduler({ betaSchedule }).schedule.alphasCumprod;
      for (let i = 1; i < ac.length; i++) expect(ac[i]).toBeLessThan(ac[i - 1]);
    }
    const lin = new DDIMScheduler({ betaSchedule: 'linear' }).schedule.betas;
    expect(lin[0]).toBe(Math.fround(0.0001));
    expect(lin[999]).toBe(Math.fround(0.02));
  });

  it('zero-terminal-SNR rescale makes ᾱ_T = 0 and keeps ᾱ₀', () => {
    const plain = new DDIMScheduler(SD15_SCHEDULER).schedule.alphasCumprod;
    const z = new DDIMScheduler({ ...SD15_SCHEDULER, rescaleBetasZeroSnr: true }).schedule.alphasCumprod;
    expect(z[999]).toBe(0);
    expect(z[0]).toBeCloseTo(plain[0], 6);
  });

  it('uses trained_betas when given', () => {
    const betas = Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1));
    const cfg = parseSchedulerConfig({ num_train_timesteps: 10, trained_betas: betas });
    const sch = new DDIMScheduler(cfg).schedule;
    expect(Array.from(sch.betas)).toEqual(betas.map(Math.fround));
  });
});

describe('timesteps', () => {
  const cfg = (timestepSpacing: SchedulerConfig['timestepSpacing'], stepsOffset = 0): SchedulerConfig => ({
    ...SD15_SCHEDULER,
    timestepSpacing,
    stepsOffset,
  });

  it('leading with steps_offset 1: 981, 961, …, 1', () => {
    const t = ddimTimesteps(cfg('leading', 1), 50);
    expect(t.length).toBe(50);
    expect(Array.from(t.slice(0, 3))).toEqual([981, 961, 941]);
    expect(t[49]).toBe(1);
    expect(Array.from(ddimInverseTimesteps(cfg('leading', 1), 50))).toEqual(Array.from(t).reverse());
  });

  it('trailing: 999, 979, …, 19 and NumPy half-to-even rounding', () => {
    const t = ddimTimesteps(cfg('trailing'), 50);
    expect(Array.from(t.slice(0, 3))).toEqual([999, 979, 959]);
    expect(t[49]).toBe(19);
    // 16 steps: 1000 − 62.5k; 937.5 → 938, 812.5 → 812 (np.round), then −1.
    expect(Array.from(ddimTimesteps(cfg('trailing'), 16).slice(0, 4))).toEqual([999, 937, 874, 811]);
    // NumPy's arange would add a 62nd value (−1) for 61 steps; we keep exactly n.
    const t61 = ddimTimesteps(cfg('trailing'), 61);
    expect(t61.length).toBe(61);
    expect(Math.min(...t61)).toBeGreaterThanOrEqual(0);
  });

  it('linspace: 999 … 0 rounded half to even', () => {
    expect(Array.from(ddimTimesteps(cfg('linspace'), 7))).toEqual([999, 832, 666, 500, 333, 166, 0]);
    const t = ddimTimesteps(cfg('linspace'), 50);
    expect(Array.from(t.slice(0, 5))).toEqual([999, 979, 958, 938, 917]);
    expect(t[49]).toBe(0);
    expect(Array.from(ddimTimesteps(cfg('linspace'), 1))).toEqual([0]);
  });

  it('roundHalfEven matches np.round', () => {
    expect([0.5, 1.5, 2.5, 3.49, 936.5, 937.5].map(roundHalfEven)).toEqual([0, 2, 2, 3, 936, 938]);
  });

  it('rejects bad step counts', () => {
    expect(() => ddimTimesteps(SD15_SCHEDULER, 0)).toThrow(/num_inference_steps/);
    expect(() => ddimTimesteps(SD15_SCHEDULER, 1001)).toThrow(/cannot be larger/);
  });
});

describe('DDIM step', () => {
  const s = new DDIMScheduler(SD15_SCHEDULER);
  const ac = s.schedule.alphasCumprod;
  const n = 16;
  const x = seq(n, (i) => Math.sin(i + 1) * 1.3);
  const eps = seq(n, (i) => Math.cos(2 * i + 0.5));

  it('η = 0 follows eq. 12 (hand-computed in float64)', () => {
    const t = 981;
    const { prevSample, predOriginalSample } = s.step(eps, t, x, { numInferenceSteps: 50 });
    const a = ac[t];
    const ap = ac[961];
    for (let i = 0; i < n; i++) {
      const x0 = (x[i] - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
      const want = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps[i];
      expect(predOriginalSample[i]).toBeCloseTo(x0, 4);
      expect(Math.abs(prevSample[i] - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    }
  });

  it('η > 0 adds σ_t·z with σ_t from eq. 16', () => {
    const t = 501;
    const z = seq(n, (i) => ((i * 7) % 5) - 2);
    const eta = 0.7;
    const { prevSample } = s.step(eps, t, x, { numInferenceSteps: 50, eta, varianceNoise: z });
    const a = ac[t];
    const ap = ac[481];
    const sigma = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    expect(sigma).toBeGreaterThan(0.01);
    for (let i = 0; i < n; i++) {
      const x0 = (x[i] - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
      const want = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sigma * sigma) * eps[i] + sigma * z[i];
      expect(Math.abs(prevSample[i] - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    }
    expect(() => s.step(eps, t, x, { numInferenceSteps: 50, eta })).toThrow(/varianceNoise/);
  });

  it('last step uses the boundary ᾱ (ᾱ₀ for SD, 1 with set_alpha_to_one)', () => {
    const r = s.step(eps, 1, x, { numInferenceSteps: 50 });
    const a = ac[1];
    const ap = ac[0];
    const x0 = (x[3] - Math.sqrt(1 - a) * eps[3]) / Math.sqrt(a);
    expect(r.prevSample[3]).toBeCloseTo(Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps[3], 5);
    const one = new DDIMScheduler({ ...SD15_SCHEDULER, setAlphaToOne: true });
    const r1 = one.step(eps, 1, x, { numInferenceSteps: 50 });
    expect(Array.from(r1.prevSample)).toEqual(Array.from(r1.predOriginalSample));
  });

  it('v-prediction recovers x₀ and ε from the velocity target', () => {
    const v = new DDIMScheduler({ ...SD15_SCHEDULER, predictionType: 'v_prediction' });
    const x0 = seq(n, (i) => 0.1 * i - 0.7);
    const t = 600;
    const xt = v.addNoise(x0, eps, t);
    const vel = v.getVelocity(x0, eps, t);
    const r = v.step(vel, t, xt, { numInferenceSteps: 50 });
    const ap = ac[580];
    for (let i = 0; i < n; i++) {
      expect(r.predOriginalSample[i]).toBeCloseTo(x0[i], 5);
      expect(r.prevSample[i]).toBeCloseTo(Math.sqrt(ap) * x0[i] + Math.sqrt(1 - ap) * eps[i], 5);
    }
  });

  it('sample prediction and clipping with use_clipped_model_output', () => {
    const c = new DDIMScheduler({ ...SD15_SCHEDULER, predictionType: 'sample', clipSample: true, clipSampleRange: 0.5 });
    const x0 = seq(n, (i) => (i - 8) / 4); // −2 … 1.75, partly outside ±0.5
    const t = 401;
    const a = ac[t];
    const ap = ac[381];
    const r = c.step(x0, t, x, { numInferenceSteps: 50, useClippedModelOutput: true });
    for (let i = 0; i < n; i++) {
      const clipped = Math.min(0.5, Math.max(-0.5, x0[i]));
      expect(r.predOriginalSample[i]).toBe(Math.fround(clipped));
      const e = (x[i] - Math.sqrt(a) * clipped) / Math.sqrt(1 - a);
      expect(r.prevSample[i]).toBeCloseTo(Math.sqrt(ap) * clipped + Math.sqrt(1 - ap) * e, 5);
    }
  });

  it('addNoise takes one timestep per batch item', () => {
    const x0 = seq(8, () => 1);
    const e = seq(8, () => 0);
    const out = s.addNoise(x0, e, [0, 999]);
    expect(out[0]).toBeCloseTo(Math.sqrt(ac[0]), 6);
    expect(out[7]).toBeCloseTo(Math.sqrt(ac[999]), 6);
    expect(() => s.addNoise(x0, e, [1, 2, 3])).toThrow(/batch/);
    expect(() => s.addNoise(x0, e, 1000)).toThrow(/timestep/);
  });

  it('scaleModelInput is the identity', () => {
    expect(s.scaleModelInput(x, 10)).toBe(x);
    expect(s.initNoiseSigma).toBe(1);
  });
});

describe('DDIM inverse step', () => {
  const configs: SchedulerConfig[] = [
    SD15_SCHEDULER,
    { ...SD15_SCHEDULER, setAlphaToOne: true },
    { ...SD15_SCHEDULER, timestepSpacing: 'trailing', stepsOffset: 0 },
    { ...SD15_SCHEDULER, timestepSpacing: 'linspace' },
  ];
  // ε-prediction only: a v or x₀ output means a different ε at the other noise level.

  it.each(configs.map((c, i) => [i, c] as const))('undoes the forward step for the same model output (config %i)', (_i, cfg) => {
    const fwd = new DDIMScheduler(cfg);
    const inv = new DDIMInverseScheduler(cfg);
    const steps = 25;
    const n = 64;
    let state = 12345;
    const rnd = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32 - 0.5;
    };
    for (const t of inv.timesteps(steps)) {
      const xt = seq(n, () => rnd() * 2);
      const out = seq(n, () => rnd() * 2);
      const down = fwd.step(out, t, xt, { numInferenceSteps: steps }).prevSample;
      const up = inv.step(out, t, down, { numInferenceSteps: steps }).prevSample;
      for (let i = 0; i < n; i++) expect(Math.abs(up[i] - xt[i])).toBeLessThan(2e-4);
    }
  });

  it('ascending timesteps and the first step from the boundary level', () => {
    const inv = new DDIMInverseScheduler(SD15_SCHEDULER);
    const ts = inv.timesteps(50);
    expect(ts[0]).toBe(1);
    expect(ts[49]).toBe(981);
    const n = 4;
    const x0 = seq(n, (i) => i / 3);
    const e = seq(n, (i) => 1 - i / 2);
    const ac = inv.schedule.alphasCumprod;
    // Source level 1 − 20 < 0 → ᾱ₀ (set_alpha_to_one false); target ᾱ₁.
    const r = inv.step(e, 1, x0, { numInferenceSteps: 50 });
    for (let i = 0; i < n; i++) {
      const pred = (x0[i] - Math.sqrt(1 - ac[0]) * e[i]) / Math.sqrt(ac[0]);
      expect(r.prevSample[i]).toBeCloseTo(Math.sqrt(ac[1]) * pred + Math.sqrt(1 - ac[1]) * e[i], 6);
    }
  });
});
