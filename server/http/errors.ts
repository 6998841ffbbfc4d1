// Every error the HTTP layer answers is JSON: `{error: {type, message, details, extra_info}}`
// with a 4xx status for bad input; nothing a client sends can crash the server.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { PathOutsideError } from '../storage.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details = '',
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function errorBody(type: string, message: string, details = '', extra: Record<string, unknown> = {}) {
  return { error: { type, message, details, extra_info: {} }, ...extra };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * File-system errors that a client-chosen name causes (a name too long, a file where a folder
 * should be, a folder in the way). Routes map them with better messages where they can; this
 * is the net: a 4xx, and never the error's own message, which carries the absolute path.
 */
const FS_REFUSALS: Record<string, [status: number, message: string]> = {
  ENAMETOOLONG: [400, 'a file or folder name is too long'],
  EEXIST: [409, 'a file is in the way of a folder'],
  ENOTDIR: [409, 'a file is in the way of a folder'],
  EISDIR: [409, 'a folder is in the way of a file'],
};

export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    res.status(err.status).json(errorBody(err.type, err.message, err.details, err.extra));
    return;
  }
  if (err instanceof PathOutsideError) {
    res.status(403).json(errorBody('path_outside', err.message));
    return;
  }
  if (err instanceof multer.MulterError) {
    const tooLarge = err.code === 'LIMIT_FILE_SIZE';
    res.status(tooLarge ? 413 : 400).json(errorBody(tooLarge ? 'file_too_large' : 'bad_upload', `upload refused: ${err.message}${err.field ? ` (field "${err.field}")` : ''}`));
    return;
  }
  // body-parser errors carry a status (400 bad JSON, 413 too large).
  const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string };
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json(errorBody(e.type ?? e.code ?? 'bad_request', e.message ?? 'bad request'));
    return;
  }
  const fsRefusal = typeof e.code === 'string' ? FS_REFUSALS[e.code] : undefined;
  if (fsRefusal) {
    res.status(fsRefusal[0]).json(errorBody('bad_path', `${fsRefusal[1]} (${e.code})`));
    return;
  }
  // The message of an unexpected error may name absolute paths in the data folder (fs errors
  // do): it goes to the log, the client gets a generic answer.
  console.error(err);
  res.status(500).json(errorBody('internal_error', 'internal server error (details are in the server log)'));
};
