// Training checkpoints: δ of every layer, AdamW's moments and step count, and the training
// step, in one file per save under <dataDir>/checkpoints/<run key>/ (written atomically, with
// a SHA-256 of the payload so a torn or altered file is never resumed from). The random
// stream needs no saving: each step draws from its own Philox stream (see feeds.ts), so the
// step number is the RNG position.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface CheckpointParam {
  name: string;
  data: Float32Array;
  m: Float64Array;
  v: Float64Array;
}

export interface Checkpoint {
  /** Steps completed. */
  step: number;
  /** AdamW's own step count (equals `step` unless resumed from outside shifts). */
  adamT: number;
  params: CheckpointParam[];
  /** Free-form strings (loss so far, settings digest). */
  meta: Record<string, string>;
}

const MAGIC = 'SVDCKPT1';

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const payloadBytes = ck.params.reduce((a, p) => a + p.data.length * 4 + p.m.length * 8 + p.v.length * 8, 0);
  const payload = new Uint8Array(payloadBytes);
  let pos = 0;
  for (const p of ck.params) {
    if (p.m.length !== p.data.length || p.v.length !== p.data.length) throw new Error(`checkpoint: moments of ${p.name} do not match its length`);
    for (const arr of [p.data, p.m, p.v]) {
      payload.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), pos);
      pos += arr.byteLength;
    }
  }
  const header = Buffer.from(
    JSON.stringify({ step: ck.step, adamT: ck.adamT, params: ck.params.map((p) => [p.name, p.data.length]), meta: ck.meta, sha256: sha256(payload) }),
    'utf8',
  );
  const out = new Uint8Array(8 + 4 + header.length + payload.length);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(payload, 12 + header.length);
  return out;
}

export function decodeCheckpoint(buf: Uint8Array): Checkpoint {
  if (buf.byteLength < 12 || Buffer.from(buf.subarray(0, 8)).toString('latin1') !== MAGIC) throw new Error('not a training checkpoint');
  const hl = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true);
  if (12 + hl > buf.byteLength) throw new Error('truncated checkpoint header');
  const h = JSON.parse(Buffer.from(buf.subarray(12, 12 + hl)).toString('utf8')) as {
    step: number; adamT: number; params: [string, number][]; meta: Record<string, string>; sha256: string;
  };
  // A copy at offset 0 of its own buffer (a Node Buffer's slice() is a view into a pool).
  const payload = new Uint8Array(buf.byteLength - 12 - hl);
  payload.set(buf.subarray(12 + hl));
  if (sha256(payload) !== h.sha256) throw new Error('checkpoint checksum mismatch (torn or altered file)');
  let pos = 0;
  const params: CheckpointParam[] = h.params.map(([name, n]) => {
    const data = new Float32Array(payload.buffer, pos, n).slice();
    pos += n * 4;
    const m = new Float64Array(payload.buffer.slice(pos, pos + n * 8));
    pos += n * 8;
    const v = new Float64Array(payload.buffer.slice(pos, pos + n * 8));
    pos += n * 8;
    return { name, data, m, v };
  });
  if (pos !== payload.byteLength) throw new Error('checkpoint payload size does not match its header');
  return { step: h.step, adamT: h.adamT, params, meta: h.meta };
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A stable key for a run: the same inputs give the same key (and so the same checkpoints). */
export function runKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

const FILE_RE = /^step-(\d{8})\.ckpt$/;

export class CheckpointStore {
  constructor(
    readonly dir: string,
    private readonly writeAtomic: (path: string, data: Uint8Array) => Promise<void>,
    /** Checkpoints kept (older ones are removed after a successful save). */
    private readonly keep = 2,
  ) {}

  fileFor(step: number): string {
    return join(this.dir, `step-${String(step).padStart(8, '0')}.ckpt`);
  }

  async save(ck: Checkpoint): Promise<string> {
    const path = this.fileFor(ck.step);
    await this.writeAtomic(path, encodeCheckpoint(ck));
    const steps = await this.steps();
    for (const s of steps.slice(0, Math.max(0, steps.length - this.keep))) await rm(this.fileFor(s), { force: true });
    return path;
  }

  /** Saved steps, ascending. */
  async steps(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    return names.map((n) => FILE_RE.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  /** The newest readable checkpoint at or before `maxStep`; damaged files are skipped (and reported). */
  async latest(maxStep: number, onSkip?: (file: string, why: string) => void): Promise<Checkpoint | null> {
    for (const s of (await this.steps()).reverse()) {
      if (s > maxStep) continue;
      const file = this.fileFor(s);
      try {
        const ck = decodeCheckpoint(await readFile(file));
        if (ck.step !== s) throw new Error(`file says step ${ck.step}`);
        return ck;
      } catch (e) {
        onSkip?.(file, (e as Error).message);
      }
    }
    return null;
  }
}
