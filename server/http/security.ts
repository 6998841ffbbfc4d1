// Request guards: the auth token (when set), same-origin for state-changing requests and
// WebSocket upgrades (by Origin, and by Sec-Fetch-Site as a second check), and
// Host checks on loopback (a DNS-rebinding page has a foreign Host). These run before any
// body is read, and they are what stops cross-site requests: every body is read as JSON
// whatever its Content-Type (json-body.ts), so a "simple" text/plain form post is no way around them.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../config.ts';
import { errorBody } from './errors.ts';

export const TOKEN_COOKIE = 'svdiff_token';

export interface GuardOptions {
  authToken?: string;
  /** The address the server is bound to. */
  host: string;
}

export type Refusal = { status: 401 | 403; message: string };

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The token a request carries: Bearer header, `?token=` query, or the cookie set by an earlier `?token=`. */
export function requestToken(req: IncomingMessage): { token?: string; fromQuery: boolean } {
  // The scheme is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" are the same.
  const bearer = /^bearer[ \t]+(.*)$/is.exec(req.headers.authorization ?? '');
  if (bearer) return { token: bearer[1].trim(), fromQuery: false };
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (q !== null) return { token: q, fromQuery: true };
  return { token: cookieToken(req), fromQuery: false };
}

function hostName(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return '';
  }
}

/** Why this request must be refused, or undefined. `stateChanging`: POST/PUT/DELETE/PATCH or a WS upgrade. */
export function refusal(req: IncomingMessage, opts: GuardOptions, stateChanging: boolean): Refusal | undefined {
  const host = req.headers.host ?? '';
  if (opts.authToken) {
    if (!tokenMatches(requestToken(req).token, opts.authToken)) return { status: 401, message: 'missing or wrong auth token' };
  } else if (isLoopbackHost(opts.host) && !isLoopbackHost(hostName(host))) {
    // Bound to loopback without a token: only local names may reach us (DNS rebinding).
    return { status: 403, message: `host "${host}" is not allowed` };
  }
  const origin = req.headers.origin;
  if (stateChanging && origin !== undefined) {
    let originHost: string | undefined;
    try {
      const u = new URL(origin);
      if (u.protocol === 'http:' || u.protocol === 'https:') originHost = u.host;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || originHost.toLowerCase() !== host.toLowerCase()) {
      return { status: 403, message: `cross-origin request from "${origin}" refused` };
    }
  }
  // Fetch metadata, a second check: browsers label every request with where it came from,
  // even where they leave Origin out. `same-origin`, `none` (typed URL, bookmark) or no header
  // (curl, scripts) pass.
  const site = req.headers['sec-fetch-site']?.toLowerCase();
  if (stateChanging && (site === 'cross-site' || site === 'same-site')) {
    return { status: 403, message: `${site} request refused (Sec-Fetch-Site)` };
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function guard(opts: GuardOptions): RequestHandler {
  return (req, res, next) => {
    const r = refusal(req, opts, !SAFE_METHODS.has(req.method));
    if (r) {
      res.status(r.status).json(errorBody(r.status === 401 ? 'unauthorized' : 'forbidden', r.message));
      return;
    }
    // A browser opened with ?token=: remember it so the page's own requests and <img> tags work.
    if (opts.authToken && requestToken(req).fromQuery) {
      res.cookie(TOKEN_COOKIE, opts.authToken, { httpOnly: true, sameSite: 'strict', path: '/' });
    }
    next();
  };
}
