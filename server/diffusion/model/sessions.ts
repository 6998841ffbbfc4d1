// ORT sessions of one model part: the plain graph, opened from its file (ORT reads external
// data itself), and a few sessions of the same graph with some initializers replaced (shifted
// weights W_δ baked in, so sampling with shifts costs the same per step as without). The
// ModelProto is decoded once per part; a variant shares every untouched tensor's bytes.
// The VAE encoder's graph is made deterministic first (random-draws.ts: it encodes to the
// latent distribution's mean), the only part exports put random draws in.
import { createHash } from 'node:crypto';
import { ARENA_MAX_BYTES, cloneModelTree, createSession, DataType, loadModel, modelFolderBytes, numel, type ConcreteDevice, type ModelProto, type Session, type TensorProto } from '../../onnx/index.ts';
import { float32ToHalf } from '../../onnx/float16.ts';
import type { PartName } from './layout.ts';
import { drawsAsMeans, hasRandomDraws } from './random-draws.ts';

export interface SessionRequest {
  /** Initializer name → replacement values (float32; converted for float16 initializers). */
  overrides?: ReadonlyMap<string, Float32Array>;
  /** Identifies the overrides for reuse; derived from their content when absent. */
  overridesKey?: string;
}

/** Parts under this size keep their weights in memory after the first override (no re-reads). */
const EAGER_BYTES = 1 << 30;

/** Rewrites a part's graph gets before any session opens it. */
const REWRITES: Partial<Record<PartName, { applies: (m: ModelProto) => boolean; rewrite: (m: ModelProto) => ModelProto }>> = {
  vae_encoder: { applies: hasRandomDraws, rewrite: drawsAsMeans },
};

/**
 * ORT's CPU arena for a part's sessions: small parts keep it ('on'); a big UNet keeps it while a
 * loop runs it and hands it back after the loop's last call ('release': its calls reuse the
 * arena's chunks instead of faulting in fresh pages, 8 % faster at SD 1.5's 512²); other big
 * parts (the text encoder, the VAE: one call at a time) run without it ('off'), so their
 * activations go back to the system when a call ends.
 */
export function partArena(part: PartName, bytes: number): 'on' | 'release' | 'off' {
  if (bytes < ARENA_MAX_BYTES) return 'on';
  return part === 'unet' ? 'release' : 'off';
}

export class PartSessions {
  private basePromise: Promise<Session> | undefined;
  private readonly variants = new Map<string, Promise<Session>>();
  private proto: ModelProto | undefined;
  /** Whether the part's rewrite changed its graph (then every session opens the rewritten proto). */
  private rewritten = false;
  /** How many sessions were created (tests check reuse). */
  created = 0;

  constructor(
    readonly part: PartName,
    readonly file: string,
    readonly device: ConcreteDevice,
    readonly maxVariants = 3,
  ) {}

  get(req: SessionRequest = {}): Promise<Session> {
    if (!req.overrides || req.overrides.size === 0) {
      this.basePromise ??= Promise.resolve().then(() => this.openBase());
      return this.basePromise;
    }
    const key = req.overridesKey ?? overridesDigest(req.overrides);
    const hit = this.variants.get(key);
    if (hit) {
      // LRU: most recently used last.
      this.variants.delete(key);
      this.variants.set(key, hit);
      return hit;
    }
    const p = Promise.resolve().then(() => this.open(withOverrides(this.part, this.loadProto(), req.overrides!)));
    p.catch(() => this.variants.delete(key));
    this.variants.set(key, p);
    while (this.variants.size > this.maxVariants) {
      const [oldKey, old] = this.variants.entries().next().value as [string, Promise<Session>];
      this.variants.delete(oldKey);
      void releaseLater(old);
    }
    return p;
  }

  /** Keys of the cached override sessions, least recently used first. */
  variantKeys(): string[] {
    return [...this.variants.keys()];
  }

  async release(): Promise<void> {
    const all = [this.basePromise, ...this.variants.values()].filter((p): p is Promise<Session> => p !== undefined);
    this.basePromise = undefined;
    this.variants.clear();
    this.proto = undefined;
    await Promise.all(all.map(releaseLater));
  }

  /** From the file (ORT reads it directly) unless the part's rewrite changed the graph. */
  private openBase(): Promise<Session> {
    if (!REWRITES[this.part]) return this.open(this.file);
    const m = this.loadProto();
    if (this.rewritten) return this.open(m);
    this.proto = undefined; // decoded only to check; overrides decode it again
    return this.open(this.file);
  }

  private bytesCache: number | undefined;
  /** The part's files on disk (graph and external data), read once. */
  bytes(): number {
    this.bytesCache ??= modelFolderBytes(this.file);
    return this.bytesCache;
  }

  private async open(model: string | ModelProto): Promise<Session> {
    this.created++;
    return createSession(model, { device: this.device, cache: false, enableCpuMemArena: partArena(this.part, this.bytes()) !== 'off' });
  }

  /** The part's graph, decoded once, with its rewrite applied. */
  private loadProto(): ModelProto {
    if (!this.proto) {
      const m = loadModel(this.file, { externalData: this.bytes() < EAGER_BYTES ? 'eager' : 'lazy' });
      const r = REWRITES[this.part];
      this.rewritten = r?.applies(m) ?? false;
      this.proto = this.rewritten ? r!.rewrite(m) : m;
    }
    return this.proto;
  }
}

async function releaseLater(p: Promise<Session>): Promise<void> {
  try {
    await (await p).release();
  } catch {
    /* failed to open or already released */
  }
}


/** A copy of `model` with the named initializers' data replaced; other tensors share bytes. */
export function withOverrides(part: string, model: ModelProto, overrides: ReadonlyMap<string, Float32Array>): ModelProto {
  const copy = cloneModelTree(model) as ModelProto;
  const byName = new Map<string, TensorProto>();
  for (const t of copy.graph?.initializer ?? []) byName.set(t.name ?? '', t);
  for (const [name, values] of overrides) {
    const t = byName.get(name);
    if (!t) throw new Error(`${part}: no initializer named ${name} to override`);
    const n = numel((t.dims ?? []).map(Number));
    if (values.length !== n) throw new Error(`${part}: override for ${name} has ${values.length} values, the initializer has ${n}`);
    const type = t.dataType ?? DataType.FLOAT;
    let bytes: Uint8Array;
    if (type === DataType.FLOAT) bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    else if (type === DataType.FLOAT16) {
      const h = float32ToHalf(values);
      bytes = new Uint8Array(h.buffer);
    } else throw new Error(`${part}: initializer ${name} has data type ${type}; only float32 and float16 weights can be overridden`);
    t.rawData = bytes;
    delete t.floatData;
    delete t.externalData;
    delete t.dataLocation;
  }
  return copy;
}

export function overridesDigest(overrides: ReadonlyMap<string, Float32Array>): string {
  const h = createHash('sha256');
  for (const name of [...overrides.keys()].sort()) {
    const v = overrides.get(name)!;
    h.update(`${name}\0${v.length}\0`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return `sha256:${h.digest('hex')}`;
}
