// ONNX Runtime sessions for an execution provider, with thread settings, a session cache and
// clear errors when a provider cannot start (an explicit device never falls back to CPU).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { ModelProto } from './proto.ts';
import { modelDataBytes, modelFolderBytes, saveModel, serializeModel } from './io.ts';

import type { DeviceName, DeviceSetting } from '../core/device.ts';

/** What a caller may ask for (a device or `auto`) and what a session runs on: the core's device names. */
export type Device = DeviceSetting;
export type ConcreteDevice = DeviceName;
export type Session = ort.InferenceSession;

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads (0 or undefined: ORT default = physical cores). */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Cache the session under this key (in addition to the automatic per-object cache). */
  cacheKey?: string;
  /** Reuse a cached session for the same model object/path and options. Default true. */
  cache?: boolean;
  /**
   * ORT's CPU memory arena. Default on. Sessions of models of ARENA_MAX_BYTES of weights or more
   * run it without ORT's memory pattern: with the pattern, each run takes its whole plan as one
   * block, which the arena rounds up and keeps (SD 1.5's UNet at 512²: 5.7 GiB peak); without the
   * arena, every run's tensors are fresh pages from the system (the same UNet 8 % slower, 5.49 s
   * a call against 5.11); the arena without the pattern reuses its chunks at the arena-off peak
   * (4.54 GiB against 4.50). What it holds between runs goes back with `releaseArena` (RUN_RELEASE).
   */
  enableCpuMemArena?: boolean;
  /** ORT's memory pattern (planned per-run block). Default: on below ARENA_MAX_BYTES of weights, off above. */
  enableMemPattern?: boolean;
  /**
   * Let MLAS pre-pack constant GEMM/conv weights (ORT default true). Off for training graphs: the
   * packed copies double the weights in anonymous memory (SD 1.5's training session: 8.2 GiB at
   * open with, 2.7 without, where its external weights stay file-backed until read), and a step
   * runs no slower (126 s vs 156 s for one step at 512² on 2 cores).
   */
  prepacking?: boolean;
  /** Let idle intra-op threads spin (ORT default true). Off is kinder on shared machines. */
  spinning?: boolean;
}

export class DeviceUnavailableError extends Error {
  constructor(readonly device: ConcreteDevice, reason: string) {
    super(`execution provider '${device}' could not start: ${reason}. ${hint(device)}`);
    this.name = 'DeviceUnavailableError';
  }
}
function hint(d: ConcreteDevice): string {
  if (d === 'cuda') return "Install ONNX Runtime's CUDA libraries with `npm run install:cuda` (needs CUDA 12 and cuDNN 9), or choose --device cpu.";
  if (d === 'webgpu') return 'WebGPU needs a GPU with a working Vulkan driver (libvulkan.so.1); choose --device cpu otherwise.';
  return '';
}

/** Weights at or above which sessions run without ORT's memory pattern (see SessionOptions). */
export const ARENA_MAX_BYTES = 64 << 20;

/** Run options that hand the CPU arena's free chunks back to the system when the run ends. */
export const RUN_RELEASE: ort.InferenceSession.RunOptions = { extra: { memory: { enable_memory_arena_shrinkage: 'cpu:0' } } };

const autoOrder: ConcreteDevice[] = ['cuda', 'webgpu', 'cpu'];
let autoChoice: Promise<ConcreteDevice> | undefined;
const byKey = new Map<string, Promise<Session>>();
const byObject = new WeakMap<object, Map<string, Promise<Session>>>();

/** Tries providers in order (cuda, webgpu, cpu) on a tiny model; remembers the first that starts. */
export function resolveDevice(device: Device = 'cpu'): Promise<ConcreteDevice> {
  if (device !== 'auto') return Promise.resolve(device);
  autoChoice ??= (async () => {
    for (const d of autoOrder) {
      try { await startSession(tinyModel(), d, {}); return d; } catch { /* next provider */ }
    }
    return 'cpu' as const;
  })();
  return autoChoice;
}

export async function createSession(model: ModelProto | Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
  const device = await resolveDevice(opts.device ?? 'cpu');
  opts = { ...opts, enableMemPattern: opts.enableMemPattern ?? weightBytes(model) < ARENA_MAX_BYTES };
  const optsKey = JSON.stringify([device, opts.threads ?? 0, opts.optimization ?? 'all', opts.enableCpuMemArena ?? true, opts.enableMemPattern, opts.spinning ?? true, opts.prepacking ?? true]);
  const useCache = opts.cache ?? true;
  if (opts.cacheKey && useCache) {
    const key = `${opts.cacheKey}|${optsKey}`;
    let p = byKey.get(key);
    if (!p) { p = startSession(model, device, opts); byKey.set(key, p); p.catch(() => byKey.delete(key)); }
    return p;
  }
  if (useCache && (typeof model === 'object')) {
    let m = byObject.get(model);
    if (!m) { m = new Map(); byObject.set(model, m); }
    let p = m.get(optsKey);
    if (!p) { p = startSession(model, device, opts); m.set(optsKey, p); p.catch(() => m!.delete(optsKey)); }
    return p;
  }
  if (useCache && typeof model === 'string') {
    const key = `path:${path.resolve(model)}|${optsKey}`;
    let p = byKey.get(key);
    if (!p) { p = startSession(model, device, opts); byKey.set(key, p); p.catch(() => byKey.delete(key)); }
    return p;
  }
  return startSession(model, device, opts);
}

/** The model's weight bytes: its tensors, its serialized bytes, or its files on disk. */
function weightBytes(model: ModelProto | Uint8Array | string): number {
  if (model instanceof Uint8Array) return model.byteLength;
  return typeof model === 'string' ? modelFolderBytes(model) : modelDataBytes(model);
}

/** Releases every cached session. */
export async function clearSessionCache(): Promise<void> {
  const all = [...byKey.values()];
  byKey.clear();
  await Promise.all(all.map(async (p) => { try { await (await p).release(); } catch { /* already gone */ } }));
}

async function startSession(model: ModelProto | Uint8Array | string, device: ConcreteDevice, opts: SessionOptions): Promise<Session> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: opts.optimization ?? 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    ...(opts.enableCpuMemArena !== undefined ? { enableCpuMemArena: opts.enableCpuMemArena } : {}),
    ...(opts.enableMemPattern !== undefined ? { enableMemPattern: opts.enableMemPattern } : {}),
    logSeverityLevel: 3,
    extra: { session: {
      ...(opts.spinning === false ? { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } : {}),
      // Threads spin within a run but stop when it returns: sessions that take turns (training
      // step, then the base UNet for prior targets, then the VAE) no longer burn each other's
      // cores (+95 ms on a 190 ms training step measured here; sampling speed unchanged).
      force_spinning_stop: '1',
      ...(opts.prepacking === false ? { disable_prepacking: '1' } : {}),
    } },
  };
  let tmpDir: string | undefined;
  try {
    let src: Uint8Array | string;
    if (typeof model === 'string' || model instanceof Uint8Array) src = model;
    else if (modelDataBytes(model) < 1_800_000_000) src = serializeModel(model);
    else {
      // Too big for one protobuf: write it with external data and let ORT read the files.
      tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'svdiff-onnx-'));
      src = path.join(tmpDir, 'model.onnx');
      saveModel(model, src);
    }
    return await (typeof src === 'string' ? ort.InferenceSession.create(src, options) : ort.InferenceSession.create(src, options));
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (device !== 'cpu' && isProviderFailure(msg)) throw new DeviceUnavailableError(device, firstLine(msg));
    throw e;
  } finally {
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

function isProviderFailure(msg: string): boolean {
  return /backend not found|Failed to load shared library|adapter|AppendExecutionProvider|provider|CUDA|cudnn|Vulkan/i.test(msg);
}
function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' ').slice(0, 400);
}

function tinyModel(): Uint8Array {
  // Relu on a [1] float tensor, built by hand to keep this module free of the builder.
  return serializeModel({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }] },
  });
}

export { ort };
