// Files in the data folder: GET /view (images and other outputs) and POST /upload/image.
// Every path is resolved through storage.resolveInside: symlinks followed, nothing outside.
// An upload answers 4xx for anything the client got wrong (a malformed form, a bad name, a
// file or folder in the way) and never echoes an absolute path.
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, posix } from 'node:path';
import { Router, type Request, type RequestHandler } from 'express';
import multer from 'multer';
import { sanitizeName } from '../../storage.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { checkImage, contentTypeFor, ImageTooLargeError } from '../image-check.ts';

type FolderType = 'input' | 'output' | 'temp';

function folder(ctx: AppContext, type: unknown, fallback: FolderType): { type: FolderType; dir: string } {
  const t = type === undefined || type === '' ? fallback : type;
  if (t === 'input') return { type: t, dir: ctx.storage.inputDir };
  if (t === 'output') return { type: t, dir: ctx.storage.outputDir };
  if (t === 'temp') return { type: t, dir: ctx.storage.tempDir };
  throw new HttpError(400, 'invalid_type', `type must be input, output or temp, not "${String(t)}"`);
}

function str(v: unknown, what: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new HttpError(400, 'invalid_request', `${what} must be a string`);
  return v;
}

/**
 * Longest file or folder name accepted, in UTF-8 bytes. File systems allow 255, and a write
 * adds to it: " (n)" for a kept file, ".<12 hex>.tmp" for the atomic write's temp file.
 */
const MAX_NAME_BYTES = 200;

/** One file or folder name: no control characters, not too long (else ENAMETOOLONG deep in a write). */
function checkNamePart(part: string, what: 'filename' | 'subfolder'): void {
  if (/[\x00-\x1f\x7f]/.test(part)) throw new HttpError(400, `invalid_${what}`, `the ${what} contains a control character`);
  if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw new HttpError(400, `invalid_${what}`, `a ${what} part is longer than ${MAX_NAME_BYTES} bytes`);
}

/** multer's (busboy's) parse errors — no boundary, a part without its end, a malformed part header — are the client's: 400. */
function receiveForm(upload: RequestHandler): RequestHandler {
  return (req, res, next) =>
    upload(req, res, (err?: unknown) => {
      if (err === undefined || err instanceof multer.MulterError || err instanceof HttpError) return next(err);
      next(new HttpError(400, 'bad_upload', `malformed multipart form: ${(err as Error)?.message ?? String(err)}`));
    });
}

/** fs errors from writing `name` into `subfolder`, as the client's mistake they are (and without the path). */
function writeError(e: unknown, subfolder: string, name: string): unknown {
  switch ((e as NodeJS.ErrnoException)?.code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return new HttpError(409, 'path_conflict', `subfolder "${subfolder}" runs into a file, not a folder`);
    case 'EISDIR':
      return new HttpError(409, 'path_conflict', `"${name}" is a folder`);
    case 'ENAMETOOLONG':
      return new HttpError(400, 'invalid_filename', 'the path is too long');
    default:
      return e;
  }
}

/** `subfolder/filename` as a relative name, refused when it tries to climb out. */
function relName(subfolder: string, filename: string): string {
  return sanitizeName(subfolder ? posix.join(subfolder, filename) : filename);
}

export function fileRoutes(ctx: AppContext): Router {
  const r = Router();

  r.get('/view', async (req, res) => {
    const filename = str(req.query.filename, 'filename');
    if (!filename) throw new HttpError(400, 'invalid_request', 'filename is required');
    const { dir } = folder(ctx, req.query.type, 'output');
    const path = ctx.storage.resolveInside(dir, relName(str(req.query.subfolder, 'subfolder'), filename));
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no file "${filename}"`);
    res.setHeader('Content-Type', contentTypeFor(path));
    res.setHeader('Content-Length', String(st.size));
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `inline; filename="${basename(path).replace(/[^\w.-]/g, '_')}"`);
    const stream = createReadStream(path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });

  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: ctx.uploadLimitBytes, files: 1, fields: 16, fieldSize: 64 * 1024 } });
  r.post('/upload/image', receiveForm(upload.single('image')), async (req: Request, res) => {
    const file = req.file;
    if (!file) throw new HttpError(400, 'no_file', 'the form needs an "image" file field');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const { type, dir } = folder(ctx, b.type, 'input');
    const subfolder = str(b.subfolder, 'subfolder');
    const overwrite = b.overwrite === 'true' || b.overwrite === '1';
    let name = basename(str(file.originalname, 'filename').replace(/\\/g, '/'));
    if (!name || name.startsWith('.')) throw new HttpError(400, 'invalid_filename', `bad file name "${file.originalname}"`);
    checkNamePart(name, 'filename');
    for (const part of subfolder.split('/')) checkNamePart(part, 'subfolder');
    try {
      await checkImage(file.buffer);
    } catch (e) {
      if (e instanceof ImageTooLargeError) throw new HttpError(413, 'image_too_large', `"${name}" is too large: ${e.message}`);
      throw new HttpError(400, 'invalid_image', `"${name}" is not a readable image: ${(e as Error).message}`);
    }
    let path = ctx.storage.resolveInside(dir, relName(subfolder, name));
    if (!overwrite) {
      // Like ComfyUI: keep the existing file, store the new one as "name (1).png".
      const ext = extname(name);
      const stem = name.slice(0, name.length - ext.length);
      for (let i = 1; existsSync(path); i++) {
        name = `${stem} (${i})${ext}`;
        path = ctx.storage.resolveInside(dir, relName(subfolder, name));
      }
    }
    try {
      await ctx.storage.writeFileAtomic(path, file.buffer);
    } catch (e) {
      throw writeError(e, subfolder, name);
    }
    res.json({ name, subfolder: subfolder ? sanitizeName(subfolder) : '', type });
  });

  return r;
}
