// Server settings: defaults, environment overrides, and the bind-address safety rule.
import { isIP } from 'node:net';
import type { DeviceName } from '../nodes/define.ts';

export type DeviceSetting = 'cpu' | 'cuda' | 'webgpu' | 'auto';
export const DEVICE_SETTINGS: readonly DeviceSetting[] = ['cpu', 'cuda', 'webgpu', 'auto'];

export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  device: DeviceSetting;
  /** Required when binding anything but loopback. */
  authToken?: string;
  /** Where node definitions are loaded from (default: the repository's nodes/). Tests use fixture nodes. */
  nodesDir?: string;
  modelsDir?: string;
  /** Finished prompts kept in history. */
  historyLimit?: number;
  /** Largest accepted upload, bytes. */
  uploadLimitBytes?: number;
  /** How long an interrupted node may take to return before its worker is killed, ms. */
  interruptGraceMs?: number;
  /** Output cache size in the worker, bytes. */
  cacheBytes?: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8188,
  dataDir: './data',
  device: 'cpu' as DeviceSetting,
  historyLimit: 10_000,
  uploadLimitBytes: 32 * 1024 * 1024,
  interruptGraceMs: 10_000,
  cacheBytes: 2 * 1024 * 1024 * 1024,
};

export function dataDirFromEnv(): string {
  return process.env.SVDIFF_DATA_DIR || DEFAULTS.dataDir;
}

export function nodesDirFromEnv(): string | undefined {
  return process.env.SVDIFF_NODES_DIR || undefined;
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/** Why these settings must not start, or undefined when they may. */
export function bindRefusal(host: string, authToken: string | undefined): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  if (authToken && authToken.length > 0) return undefined;
  return `refusing to listen on ${host} without an auth token: anyone who can reach this address could run workflows and read your files. ` +
    `Pass --auth-token <secret> (clients then send "Authorization: Bearer <secret>"), or bind 127.0.0.1.`;
}

export function parseDevice(s: string): DeviceSetting {
  if ((DEVICE_SETTINGS as readonly string[]).includes(s)) return s as DeviceSetting;
  throw new Error(`unknown device "${s}": use one of ${DEVICE_SETTINGS.join(', ')}`);
}

/**
 * The execution provider to run on: `auto` → the best one that starts (server/onnx probes
 * cuda, webgpu, cpu; loaded only when needed). An explicit device is taken as asked: if it
 * cannot start, the first node that opens a session fails with a message saying why.
 */
export async function concreteDevice(d: DeviceSetting): Promise<DeviceName> {
  if (d !== 'auto') return d;
  const { resolveDevice } = await import('./onnx/session.ts');
  return resolveDevice('auto');
}
