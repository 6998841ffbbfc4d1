// Server settings: defaults, environment overrides, the auth token's sources and the
// bind-address safety rule (loopback needs no token; any non-loopback address does).
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { DEVICE_SETTINGS, type DeviceName, type DeviceSetting } from './core/index.ts';

export { DEVICE_SETTINGS, type DeviceSetting };

export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  device: DeviceSetting;
  /** Required when binding a non-loopback address (see isLoopbackHost). */
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

/** 127.0.0.0/8 and ::1, in any spelling (BlockList also matches IPv4-mapped ::ffff:127.x.y.z). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for names and addresses that only this machine can reach: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why these settings must not start, or undefined when they may: a non-loopback address needs a token. */
export function bindRefusal(host: string, authToken: string | undefined): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  if (authToken && authToken.length > 0) return undefined;
  return `refusing to listen on ${host} (not a loopback address) without an auth token: anyone who can reach it could run workflows and read your files. ` +
    `Pass --auth-token-file <file> or set ${AUTH_TOKEN_ENV} (clients then send "Authorization: Bearer <secret>"), ` +
    `or bind a loopback address (127.0.0.1, ::1, localhost).`;
}

/** The environment variable that carries the token (a token on the command line shows in `ps`). */
export const AUTH_TOKEN_ENV = 'SVDIFF_AUTH_TOKEN';

/** A setting that must stop the server from starting; the message says what to fix. */
export class ConfigError extends Error {}

/**
 * The auth token from `--auth-token`, `--auth-token-file` (trimmed) or `SVDIFF_AUTH_TOKEN`,
 * in that order; undefined when none is given. An empty or unreadable token file, an empty
 * `--auth-token`, or both options at once is a ConfigError rather than a silent "no token".
 */
export function resolveAuthToken(o: { token?: string; file?: string; env?: NodeJS.ProcessEnv }): string | undefined {
  if (o.token !== undefined && o.file !== undefined) throw new ConfigError('give --auth-token or --auth-token-file, not both');
  if (o.token !== undefined) {
    if (o.token.trim() === '') throw new ConfigError('--auth-token is empty');
    return o.token;
  }
  if (o.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read --auth-token-file ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const token = text.trim();
    if (token === '') throw new ConfigError(`--auth-token-file ${o.file} is empty`);
    return token;
  }
  const fromEnv = (o.env ?? process.env)[AUTH_TOKEN_ENV]?.trim();
  return fromEnv ? fromEnv : undefined;
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
