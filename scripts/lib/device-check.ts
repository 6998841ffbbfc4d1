// The pure half of `npm run check:device` (scripts/check-device.ts): what one stage of one
// (model, provider) run produced, how a provider's run compares with the CPU run of the same
// model, the tolerance verdict, and the printed table. No ONNX Runtime here (unit-tested in
// test/check-device.test.ts).

export type Stage = 'load' | 'svd' | 'sample' | 'invert' | 'resample' | 'train' | 'error';

/** What a stage produced; the arrays are kept only as long as the comparison needs them. */
export interface StageResult {
  model: string;
  provider: string;
  stage: Stage;
  seconds: number;
  /** sample / invert / resample: the latent. */
  latent?: Float32Array;
  /** train: the loss of each step, and the shifts δ per layer after the last step. */
  losses?: number[];
  deltas?: ReadonlyMap<string, Float32Array>;
  /** Device memory around the stage ('n/a' where it cannot be read). */
  deviceMemory: string;
  /** Peak resident set size of the process so far (MiB). */
  peakRssMiB: number;
  /** error: what failed. */
  error?: string;
  /** Free text for the notes column (train: graph set-up time and time per step). */
  note?: string;
}

/**
 * Tolerances of a provider against the CPU run (why these values: the header of check-device.ts):
 * `latent`: max |z − z_cpu| / max(1, max |z_cpu|) of sampled, inverted and re-sampled latents;
 * `loss`: |l − l_cpu| / max(|l_cpu|, 1e-6) of each training step's loss;
 * `shifts`: ‖δ − δ_cpu‖₂ / max(‖δ_cpu‖₂, 1e-12) over all layers after the training steps.
 */
export interface Tolerances {
  latent: number;
  loss: number;
  shifts: number;
}
export const TOLERANCES = {
  /** float32 arithmetic (webgpu). */
  float32: { latent: 1e-2, loss: 1e-3, shifts: 5e-2 },
  /** cuda: ORT's CUDA provider runs float32 MatMul/Conv in TF32 (10-bit mantissa) by default. */
  tf32: { latent: 1e-1, loss: 1e-2, shifts: 3e-1 },
} as const satisfies Record<string, Tolerances>;

export function toleranceFor(provider: string): Tolerances {
  return provider === 'cuda' ? TOLERANCES.tf32 : TOLERANCES.float32;
}

export interface Check {
  metric: 'latent' | 'loss' | 'shifts' | 'finite' | 'shape' | 'run';
  /** NaN when the values could not be compared (shape mismatch, non-finite values). */
  value: number;
  limit: number;
  ok: boolean;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (!(v <= m)) m = v; // NaN propagates
  }
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** ‖a − b‖₂ / ‖b‖₂ over every layer of b (a layer missing from a, or of another length: NaN). */
export function relativeShiftDiff(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): number {
  if (a.size !== b.size) return Number.NaN;
  let num = 0;
  let den = 0;
  for (const [name, ref] of b) {
    const got = a.get(name);
    if (!got || got.length !== ref.length) return Number.NaN;
    for (let i = 0; i < ref.length; i++) {
      num += (got[i] - ref[i]) ** 2;
      den += ref[i] ** 2;
    }
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

const within = (value: number, limit: number) => value <= limit; // false for NaN

/** The CPU run's own sanity: its outputs are finite (it is the reference for the others). */
export function checkReference(r: StageResult): Check[] {
  if (r.stage === 'error') return [{ metric: 'run', value: Number.NaN, limit: 0, ok: false }];
  const values = [...(r.latent ?? []), ...(r.losses ?? []), ...[...(r.deltas?.values() ?? [])].flatMap((d) => [...d])];
  return values.length ? [{ metric: 'finite', value: allFinite(values) ? 0 : Number.NaN, limit: 0, ok: allFinite(values) }] : [];
}

/** A provider's stage against the CPU's same stage of the same model. */
export function compareStage(got: StageResult, ref: StageResult | undefined, tol: Tolerances = toleranceFor(got.provider)): Check[] {
  if (got.stage === 'error') return [{ metric: 'run', value: Number.NaN, limit: 0, ok: false }];
  if (!ref) return [];
  const checks: Check[] = [];
  if (got.latent && ref.latent) {
    if (got.latent.length !== ref.latent.length) checks.push({ metric: 'shape', value: Number.NaN, limit: 0, ok: false });
    else {
      const v = maxAbsDiff(got.latent, ref.latent) / Math.max(1, maxAbs(ref.latent));
      checks.push({ metric: 'latent', value: v, limit: tol.latent, ok: within(v, tol.latent) });
    }
  }
  if (got.losses && ref.losses) {
    if (got.losses.length !== ref.losses.length) checks.push({ metric: 'shape', value: Number.NaN, limit: 0, ok: false });
    else got.losses.forEach((l, i) => {
      const v = Math.abs(l - ref.losses![i]) / Math.max(Math.abs(ref.losses![i]), 1e-6);
      checks.push({ metric: 'loss', value: v, limit: tol.loss, ok: within(v, tol.loss) });
    });
  }
  if (got.deltas && ref.deltas) {
    const v = relativeShiftDiff(got.deltas, ref.deltas);
    checks.push({ metric: 'shifts', value: v, limit: tol.shifts, ok: within(v, tol.shifts) });
  }
  return checks;
}

export const exp = (v: number) => (Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : v.toExponential(1));

/** The "CPU diff" cell: the reference's own values on CPU rows, the differences elsewhere. */
export function diffCell(r: StageResult, checks: Check[], isReference: boolean): string {
  if (r.stage === 'error') return `FAILED: ${r.error ?? 'unknown error'}`;
  if (isReference) {
    if (r.latent) return `ref, max|z| ${maxAbs(r.latent).toFixed(3)}`;
    if (r.losses) return `ref, loss ${r.losses.map((l) => l.toFixed(5)).join(', ')}`;
    return '';
  }
  if (checks.length === 0) return r.latent || r.losses ? 'n/a (no CPU run)' : '';
  const part = (m: Check['metric'], label: string) => {
    const cs = checks.filter((c) => c.metric === m);
    return cs.length ? `${label} ${cs.map((c) => exp(c.value)).join(', ')}` : '';
  };
  return [part('latent', 'max-abs'), part('loss', 'loss rel'), part('shifts', 'shifts rel'), part('shape', 'shape mismatch')].filter(Boolean).join('; ');
}

export interface Row {
  model: string;
  provider: string;
  stage: Stage;
  seconds: number;
  diff: string;
  deviceMemory: string;
  peakRssMiB: number;
  verdict: 'ok' | 'FAIL' | '';
  note: string;
}

export function toRow(r: StageResult, checks: Check[], isReference: boolean): Row {
  return {
    model: r.model,
    provider: r.provider,
    stage: r.stage,
    seconds: r.seconds,
    diff: diffCell(r, checks, isReference),
    deviceMemory: r.deviceMemory,
    peakRssMiB: r.peakRssMiB,
    verdict: checks.length === 0 ? '' : checks.every((c) => c.ok) ? 'ok' : 'FAIL',
    note: r.note ?? '',
  };
}

/** A plain-text table, columns padded to their widest cell. */
export function formatTable(rows: readonly Row[]): string {
  const head = ['model', 'provider', 'stage', 'time (s)', 'CPU diff', 'device mem', 'peak RSS (MiB)', 'verdict', 'notes'];
  const cells = rows.map((r) => [r.model, r.provider, r.stage, r.seconds.toFixed(2), r.diff, r.deviceMemory, String(Math.round(r.peakRssMiB)), r.verdict, r.note]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
