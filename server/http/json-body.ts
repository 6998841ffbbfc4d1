// Request bodies are JSON whatever their Content-Type, as ComfyUI reads them (`await
// request.json()`): Python's urllib sends application/x-www-form-urlencoded, some SDKs
// text/plain. Multipart bodies are left to multer (POST /upload/image), and routes that store
// raw bytes (userdata files) read their own bodies. Cross-site requests are stopped by the
// Origin / fetch-metadata guard (security.ts), which runs first.
//
// Bodies are capped in size, and JSON nested deeper than MAX_JSON_DEPTH is refused before it
// is parsed: code that walks a prompt recursively (JSON.stringify when the queue and history
// write it to disk, validation, the worker's IPC) would throw "Maximum call stack size
// exceeded" on a few thousand levels, long after the prompt was accepted.
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './errors.ts';

const MiB = 1024 * 1024;
/** POST /prompt and PUT /workflows carry the whole UI workflow (extra_pnginfo): room for large graphs. */
export const WORKFLOW_BODY_LIMIT_BYTES = 32 * MiB;
/** Every other JSON body (queue, history, interrupt: a few ids). */
export const SMALL_BODY_LIMIT_BYTES = 1 * MiB;
/** Routes whose bodies may reach WORKFLOW_BODY_LIMIT_BYTES (with or without the /api prefix). */
const WORKFLOW_PATHS = [/^(\/api)?\/prompt\/?$/, /^(\/api)?\/workflows\//];
/** Routes that take any bytes (CSS, images, JSON files) and read them with their own raw parser and limit. */
const RAW_BODY_PATHS = [/^(\/api)?\/userdata\//];

/**
 * Deepest JSON accepted. A UI workflow is under ten levels (subgraphs add a few each), an API
 * prompt three or four; 128 leaves ample room and stays far below the few thousand levels at
 * which recursive code runs out of stack.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * True when `bytes` (UTF-8 JSON text) opens more than `max` nested arrays/objects. An iterative
 * scan counting `[` `{` outside strings, so it cannot itself run out of stack; invalid JSON is
 * left for JSON.parse to report. Multi-byte UTF-8 sequences never contain ASCII bytes.
 */
export function jsonDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function isMultipart(req: Request): boolean {
  return /^multipart\//i.test(req.headers['content-type'] ?? '');
}

function limitFor(path: string): number {
  return WORKFLOW_PATHS.some((re) => re.test(path)) ? WORKFLOW_BODY_LIMIT_BYTES : SMALL_BODY_LIMIT_BYTES;
}

/** body-parser's errors (too large, aborted, bad Content-Encoding) as our JSON errors. */
function readError(err: unknown, limit: number): unknown {
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large') return new HttpError(413, 'body_too_large', `the request body is larger than ${limit / MiB} MiB`);
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid') return new HttpError(400, 'bad_request', e.message ?? 'the request body was cut short');
  if (e.type === 'encoding.unsupported') return new HttpError(415, 'unsupported_encoding', e.message ?? 'unsupported Content-Encoding');
  return err;
}

/**
 * Sets `req.body` to the parsed JSON of any non-multipart body (`{}` for an empty one; left
 * undefined when there is no body). Bad JSON → 400 `invalid_json`; too deep → 400
 * `invalid_request`; too large → 413 `body_too_large`.
 */
export function jsonBodyParser(): RequestHandler {
  const readers = new Map<number, RequestHandler>();
  const reader = (limit: number) => {
    let r = readers.get(limit);
    if (!r) readers.set(limit, (r = express.raw({ limit, type: (req) => !isMultipart(req as Request) })));
    return r;
  };
  return (req, res, next) => {
    if (isMultipart(req) || RAW_BODY_PATHS.some((re) => re.test(req.path))) return next();
    const limit = limitFor(req.path);
    reader(limit)(req, res, (err?: unknown) => {
      if (err) return next(readError(err, limit));
      if (!Buffer.isBuffer(req.body)) return next();
      const raw = req.body;
      // A leading byte-order mark (some Windows tools write one) is not JSON.
      const text = raw.toString('utf8').replace(/^\uFEFF/, '');
      if (/^\s*$/.test(text)) {
        req.body = {};
        return next();
      }
      if (jsonDeeperThan(raw, MAX_JSON_DEPTH)) {
        return next(new HttpError(400, 'invalid_request', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`));
      }
      try {
        req.body = JSON.parse(text);
      } catch (e) {
        return next(new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(e as Error).message}`));
      }
      next();
    });
  };
}
