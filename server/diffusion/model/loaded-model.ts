// LoadedModel: what the MODEL socket carries. A checked diffusers-layout folder with its
// tokenizer, scheduler config, content hash, latent geometry, and lazily opened ORT sessions
// per part (cached; plus a few variants with replaced initializers for spectral shifts).
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createSession, GraphBuilder, ort, type ConcreteDevice, type Session } from '../../onnx/index.ts';
import { parseSchedulerConfig, DDIMScheduler, DDIMInverseScheduler, type SchedulerConfig } from '../scheduler/index.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/index.ts';
import { modelContentHash } from './content-hash.ts';
import { ModelLayoutError, PARTS, readLayout, type ModelLayout, type PartName } from './layout.ts';
import { readPartIo, findValue, type PartIo } from './part-io.ts';
import { PartRunner, toFloat } from './run-part.ts';
import { partArena, PartSessions, type SessionRequest } from './sessions.ts';

export interface ModelConfig {
  modelIndex: Record<string, unknown>;
  scheduler: SchedulerConfig;
  /** unet/config.json and vae_*\/config.json when present (diffusers exports write them). */
  unet?: Record<string, unknown>;
  vae?: Record<string, unknown>;
}

export interface LoadModelOptions {
  device?: ConcreteDevice;
  /** Display name; defaults to the folder name. */
  name?: string;
  /** Remembers file digests here so multi-GB files are hashed once (size + mtime decide). */
  hashIndexPath?: string;
  writeFileAtomic?: (path: string, data: string) => Promise<void>;
  /** Override sessions kept per part (LRU). Default 3. */
  maxOverrideSessions?: number;
}

export interface ModelGeometry {
  latentChannels: number;
  /** Pixels per latent cell along each axis (SD: 8). */
  downscale: number;
  /** Image sides must be multiples of this (downscale × the UNet's own down-sampling when known). */
  sizeMultiple: number;
  /** Text encoder sequence length and width. */
  textLength: number;
  textDim: number | null;
}

export class LoadedModel {
  readonly kind = 'svdiff-model' as const;
  /** Small on purpose: the engine's output cache must treat MODEL as cheap to keep. */
  readonly byteSize = 4096;
  private readonly sessions: Record<PartName, PartSessions>;

  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly contentHash: string,
    readonly layout: ModelLayout,
    readonly config: ModelConfig,
    readonly tokenizer: TextTokenizer,
    readonly device: ConcreteDevice,
    readonly io: Record<PartName, PartIo>,
    readonly geometry: ModelGeometry,
    maxVariants: number,
  ) {
    this.sessions = Object.fromEntries(PARTS.map((p) => [p, new PartSessions(p, layout.parts[p], device, maxVariants)])) as Record<PartName, PartSessions>;
  }

  get latentChannels(): number { return this.geometry.latentChannels; }
  get downscale(): number { return this.geometry.downscale; }
  get sizeMultiple(): number { return this.geometry.sizeMultiple; }
  get vaeScalingFactor(): number { return this.layout.vaeScalingFactor; }

  /** Reads and checks a model folder. Throws ModelLayoutError naming what is missing or wrong. */
  static async load(dir: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
    const abs = resolve(dir);
    const layout = readLayout(abs);
    const io = Object.fromEntries(PARTS.map((p) => [p, readPartIo(p, layout.parts[p])])) as Record<PartName, PartIo>;
    let scheduler: SchedulerConfig;
    try {
      scheduler = parseSchedulerConfig(layout.schedulerConfig, 'scheduler/scheduler_config.json');
    } catch (e) {
      throw new ModelLayoutError((e as Error).message);
    }
    let tokenizer: TextTokenizer;
    try {
      tokenizer = loadTokenizer(layout.tokenizerDir);
    } catch (e) {
      throw new ModelLayoutError(`tokenizer/: ${(e as Error).message}`);
    }
    const config: ModelConfig = {
      modelIndex: layout.modelIndex,
      scheduler,
      unet: optionalJson(join(abs, 'unet', 'config.json')),
      vae: optionalJson(join(abs, 'vae_decoder', 'config.json')) ?? optionalJson(join(abs, 'vae_encoder', 'config.json')),
    };
    const device = opts.device ?? 'cpu';
    const contentHash = await modelContentHash(abs, { indexPath: opts.hashIndexPath, writeFileAtomic: opts.writeFileAtomic });
    const model = new LoadedModel(abs, opts.name ?? basename(abs), contentHash, layout, config, tokenizer, device, io,
      { latentChannels: 0, downscale: 0, sizeMultiple: 0, textLength: tokenizer.maxLength, textDim: null }, opts.maxOverrideSessions ?? 3);
    await model.resolveGeometry();
    return model;
  }

  /**
   * A cached session of a part. With `overrides`, a session of the same graph with those
   * initializers replaced, cached by `overridesKey` (a few per part, least recently used dropped).
   */
  session(part: PartName, opts: SessionRequest = {}): Promise<Session> {
    return this.sessions[part].get(opts);
  }

  /** A runner (type casting, resolved I/O names) over `session(part, opts)`. */
  async runner(part: PartName, opts: SessionRequest = {}): Promise<PartRunner> {
    const s = await this.session(part, opts);
    // The release names ORT's CPU arena; sessions on a GPU keep theirs as ORT manages it.
    const release = this.device === 'cpu' && partArena(part, this.partBytes(part)) === 'release';
    return new PartRunner(part, s, this.io[part].inputNames, this.io[part].outputNames, release);
  }

  /** Bytes of a part's files on disk (graph and external data), read once per model. */
  partBytes(part: PartName): number {
    return this.sessions[part].bytes();
  }

  /** Sessions opened so far per part (for tests of session reuse). */
  sessionStats(part: PartName): { created: number; variants: string[] } {
    return { created: this.sessions[part].created, variants: this.sessions[part].variantKeys() };
  }

  scheduler(): DDIMScheduler { return new DDIMScheduler(this.config.scheduler); }
  inverseScheduler(): DDIMInverseScheduler { return new DDIMInverseScheduler(this.config.scheduler); }

  /** Releases every session (the model stays usable: sessions reopen on demand). */
  async release(): Promise<void> {
    await Promise.all(PARTS.map((p) => this.sessions[p].release()));
  }

  toString(): string { return `LoadedModel(${this.name}, ${this.contentHash.slice(0, 12)}, ${this.device})`; }

  /** Latent channels and pixel→latent factor: from diffusers configs when they say, else one probe encode. */
  private async resolveGeometry(): Promise<void> {
    const g = this.geometry as { -readonly [K in keyof ModelGeometry]: ModelGeometry[K] };
    const vae = this.config.vae ?? {};
    const blocks = Array.isArray(vae.block_out_channels) ? vae.block_out_channels.length : 0;
    if (typeof vae.latent_channels === 'number' && blocks > 0) {
      g.latentChannels = vae.latent_channels;
      g.downscale = 2 ** (blocks - 1);
    } else {
      const probed = await this.probeVae();
      g.latentChannels = probed.channels;
      g.downscale = probed.downscale;
    }
    // Cross-checks between parts where the graphs declare static sizes.
    const unetIo = this.io.unet;
    const c = findValue(unetIo.inputs, unetIo.inputNames[0]).dims?.[1];
    if (c != null && c !== g.latentChannels) throw new ModelLayoutError(`unet: input ${unetIo.inputNames[0]} has ${c} channels, the VAE makes ${g.latentChannels}`);
    const textOut = findValue(this.io.text_encoder.outputs, this.io.text_encoder.outputNames[0]).dims?.[2] ?? null;
    const unetText = findValue(unetIo.inputs, unetIo.inputNames[2]).dims?.[2] ?? null;
    if (textOut != null && unetText != null && textOut !== unetText) {
      throw new ModelLayoutError(`unet: input ${unetIo.inputNames[2]} has width ${unetText}, the text encoder outputs ${textOut}`);
    }
    g.textDim = textOut ?? unetText;
    const unetBlocks = Array.isArray(this.config.unet?.block_out_channels) ? (this.config.unet!.block_out_channels as unknown[]).length : 0;
    g.sizeMultiple = g.downscale * (unetBlocks > 0 ? 2 ** (unetBlocks - 1) : await this.probeUnetMultiple());
  }

  /**
   * Without unet/config.json: the smallest power-of-two latent side the UNet runs on is the
   * multiple its down/up-sampling needs (skip connections must line up).
   */
  private async probeUnetMultiple(): Promise<number> {
    const g = this.geometry;
    if (g.textDim === null) return 1;
    const r = await this.runner('unet');
    const [sample, timestep, text] = r.inputNames;
    const L = g.textLength;
    const embeds = r.floatTensor(text, new Float32Array(L * g.textDim), [1, L, g.textDim]);
    let last = '';
    for (let side = 1; side <= 64; side *= 2) {
      try {
        await r.run({
          [sample]: r.floatTensor(sample, new Float32Array(g.latentChannels * side * side), [1, g.latentChannels, side, side]),
          [timestep]: r.timestepTensor(timestep, 1, 1),
          [text]: embeds,
        }, { quiet: true });
        return side;
      } catch (e) {
        last = (e as Error).message.split('\n')[0];
      }
    }
    throw new ModelLayoutError(`unet: runs on no square latent from 1 to 64 cells: ${last}`);
  }

  private async probeVae(): Promise<{ channels: number; downscale: number }> {
    const side = 64;
    const r = await this.runner('vae_encoder');
    let out;
    try {
      out = await r.run({ [r.inputNames[0]]: r.floatTensor(r.inputNames[0], new Float32Array(3 * side * side), [1, 3, side, side]) });
    } catch (e) {
      throw new ModelLayoutError(`vae_encoder: a 1×3×${side}×${side} probe failed: ${(e as Error).message}`);
    }
    const [, ch, h, w] = out.dims;
    if (!(h > 0 && w > 0 && side % h === 0 && side % w === 0 && side / h === side / w)) {
      throw new ModelLayoutError(`vae_encoder: a ${side}×${side} image gave a ${h}×${w} latent; cannot tell the down-scaling factor`);
    }
    // [mean, logvar] halves: by name, or when the UNet declares half as many channels.
    const unetC = findValue(this.io.unet.inputs, this.io.unet.inputNames[0]).dims?.[1];
    const channels = r.outputNames[0] === 'latent_parameters' || unetC === ch / 2 ? ch / 2 : ch;
    return { channels, downscale: side / h };
  }
}

function optionalJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    throw new ModelLayoutError(`${path} is not valid JSON`);
  }
}

/** Starts a session for `device` on a one-op model: an explicit device that cannot start fails here, clearly. */
export async function checkDevice(device: ConcreteDevice): Promise<void> {
  const g = new GraphBuilder({ name: 'device-check' });
  g.input('x', 'float32', [1]);
  g.node('Relu', ['x'], {}, { output: 'y' });
  g.output('y', 'float32', [1]);
  const s = await createSession(g.toModel(), { device, cache: false });
  try {
    const y = await s.run({ x: new ort.Tensor('float32', Float32Array.of(-1), [1]) });
    toFloat('device-check', 'y', y.y);
  } finally {
    await s.release();
  }
}
