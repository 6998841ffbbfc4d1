// Files in the data folder: GET /view (images and other outputs, converted on request:
// view-params.ts), POST /upload/image and POST /upload/mask (ComfyUI's mask editor: the
// mask's alpha put into the original image). Every path is resolved through
// storage.resolveInside: symlinks followed, nothing outside. An upload answers 4xx for
// anything the client got wrong (a malformed form, a bad name, a file or folder in the way)
// and never echoes an absolute path.
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, extname, posix } from 'node:path';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { sniffImageFormat } from '../../image/index.ts';
import { sanitizeName } from '../../storage.ts';
import { IMAGE_TYPES, imageTypeDir, type ImageRef } from '../../core/index.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { checkImage, contentTypeFor, ImageTooLargeError } from '../image-check.ts';
import { ConvertError, convertImage, MAX_CONVERT_FILE_BYTES } from '../image-convert.ts';
import { imageParam, parseViewParams, viewConversion } from '../view-params.ts';

type FolderType = ImageRef['type'];

function folder(ctx: AppContext, type: unknown, fallback: FolderType, what = 'type'): { type: FolderType; dir: string } {
  const t = type === undefined || type === '' ? fallback : type;
  if ((IMAGE_TYPES as readonly unknown[]).includes(t)) return { type: t as FolderType, dir: imageTypeDir(ctx.storage, t as FolderType) };
  throw new HttpError(400, what === 'type' ? 'invalid_type' : 'invalid_original_ref', `${what} must be input, output or temp, not "${String(t)}"`);
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

const MiB = 1024 * 1024;

/** Headers of every /view answer: `type`, no caching, no sniffing, shown inline under `name`. */
function viewHeaders(res: Response, type: string, length: number, name: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', String(length));
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Disposition', `inline; filename="${name.replace(/[^\w.-]/g, '_')}"`);
}

/**
 * Checks a stored file can be converted, from its size and first bytes: missing → 404; over
 * MAX_CONVERT_FILE_BYTES → 413; not a PNG or JPEG → 400 `invalid_<param>`, naming the
 * parameter that needs an image.
 */
async function checkImageFile(path: string, shownName: string, param: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, 'not_found', `no file "${shownName}"`);
  if (st.size > MAX_CONVERT_FILE_BYTES) throw tooLargeFile(shownName);
  const head = Buffer.alloc(8);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  if (!sniffImageFormat(head)) throw new HttpError(400, `invalid_${param}`, `${param} needs a PNG or JPEG image, and "${shownName}" is not one`);
}

function tooLargeFile(shownName: string): HttpError {
  return new HttpError(413, 'image_too_large', `"${shownName}" is larger than the ${MAX_CONVERT_FILE_BYTES / MiB} MiB a conversion reads`);
}

/** The file checkImageFile passed, read whole (when its turn to be decoded has come). */
async function readImageFile(path: string, shownName: string): Promise<Buffer> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_CONVERT_FILE_BYTES) throw tooLargeFile(shownName); // grown since
  return bytes;
}

/** The upload check's answers for the uploaded file: past the decode budget → 413, not a readable PNG/JPEG → 400. */
function uploadImageError(e: unknown, name: string): unknown {
  if (e instanceof ImageTooLargeError || (e instanceof ConvertError && e.tooLarge)) {
    return new HttpError(413, 'image_too_large', `"${name}" is too large: ${e.message}`);
  }
  if (e instanceof ConvertError || !(e instanceof HttpError)) {
    return new HttpError(400, 'invalid_image', `"${name}" is not a readable image: ${(e as Error).message}`);
  }
  return e;
}

/** A conversion's failure about a stored image: past the decode budget → 413, unreadable → 422 (the file is corrupt, not the request). */
function storedImageError(e: unknown, shownName: string): unknown {
  if (!(e instanceof ConvertError)) return e;
  if (e.tooLarge) return new HttpError(413, 'image_too_large', `${shownName} is too large: ${e.message}`);
  return new HttpError(422, 'invalid_image', `${shownName} is not a readable image: ${e.message}`);
}

/** /upload/mask's `original_ref`: JSON `{filename, subfolder?, type?}` naming the image the mask belongs to. */
function originalRef(v: unknown): { filename: string; subfolder: string; type: unknown } {
  const bad = (why: string) => new HttpError(400, 'invalid_original_ref', `original_ref ${why}; it is JSON {"filename", "subfolder", "type"} naming the image the mask belongs to`);
  if (v === undefined || v === '') throw bad('is required');
  if (typeof v !== 'string') throw bad('must be one string');
  let ref: unknown;
  try {
    ref = JSON.parse(v);
  } catch {
    throw bad('is not valid JSON');
  }
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) throw bad('must be a JSON object');
  const { filename, subfolder, type } = ref as Record<string, unknown>;
  if (typeof filename !== 'string' || filename === '') throw bad('needs a "filename" string');
  if (subfolder !== undefined && subfolder !== null && typeof subfolder !== 'string') throw bad('has a "subfolder" that is not a string');
  if (type !== undefined && type !== null && typeof type !== 'string') throw bad('has a "type" that is not a string');
  return { filename, subfolder: subfolder ?? '', type: type ?? undefined };
}

/**
 * The body of POST /upload/image and /upload/mask: the form's `image` file and its `type`,
 * `subfolder` and `overwrite` fields, the name checks, then `make` turns the uploaded bytes
 * into what is stored (checking them, throwing the 4xx), then the file lands under the
 * upload's name — "name (1).png" beside an existing file unless overwrite is set, as in
 * ComfyUI. Answers ComfyUI's `{name, subfolder, type}`.
 */
async function storeUpload(
  ctx: AppContext,
  req: Request,
  make: (upload: Buffer, name: string) => Promise<Uint8Array>,
): Promise<{ name: string; subfolder: string; type: FolderType }> {
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
  // Resolved before the (slow) check, so a name that leaves the folder is refused unread.
  let path = ctx.storage.resolveInside(dir, relName(subfolder, name));
  const data = await make(file.buffer, name);
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
    await ctx.storage.writeFileAtomic(path, data);
  } catch (e) {
    throw writeError(e, subfolder, name);
  }
  return { name, subfolder: subfolder ? sanitizeName(subfolder) : '', type };
}

export function fileRoutes(ctx: AppContext): Router {
  const r = Router();

  r.get('/view', async (req, res) => {
    const filename = str(req.query.filename, 'filename');
    if (!filename) throw new HttpError(400, 'invalid_request', 'filename is required');
    const params = parseViewParams(req.query);
    const { dir } = folder(ctx, req.query.type, 'output');
    const path = ctx.storage.resolveInside(dir, relName(str(req.query.subfolder, 'subfolder'), filename));
    const param = imageParam(params);
    const conversion = viewConversion(params);
    if (param) {
      await checkImageFile(path, filename, param);
      if (conversion) {
        let out: Uint8Array;
        try {
          out = await convertImage(async () => ({ ...conversion, image: await readImageFile(path, filename) }));
        } catch (e) {
          throw storedImageError(e, `"${filename}"`);
        }
        const jpeg = conversion.op === 'jpeg';
        const stem = basename(path).slice(0, basename(path).length - extname(path).length);
        viewHeaders(res, jpeg ? 'image/jpeg' : 'image/png', out.byteLength, `${stem}${jpeg ? '.jpg' : '.png'}`);
        res.end(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
        return;
      }
      // Else channel=rgba with a preview: the stored PNG or JPEG already keeps what it has.
    }
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no file "${filename}"`);
    viewHeaders(res, contentTypeFor(path), st.size, basename(path));
    const stream = createReadStream(path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });

  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: ctx.uploadLimitBytes, files: 1, fields: 16, fieldSize: 64 * 1024 } });
  r.post('/upload/image', receiveForm(upload.single('image')), async (req: Request, res) => {
    res.json(
      await storeUpload(ctx, req, async (image, name) => {
        try {
          await checkImage(image);
        } catch (e) {
          throw uploadImageError(e, name);
        }
        return image;
      }),
    );
  });

  // ComfyUI's mask editor saves here: the uploaded mask's alpha becomes the alpha of the
  // original image (`original_ref`; type defaults to output, as in ComfyUI), stored as an RGBA
  // PNG under the upload's name. A mask of another size is resized to the original's first
  // (ComfyUI fails with a 500 there). The original's PNG text chunks are kept.
  r.post('/upload/mask', receiveForm(upload.single('image')), async (req: Request, res) => {
    const ref = originalRef((req.body as Record<string, unknown> | undefined)?.original_ref);
    const { dir } = folder(ctx, ref.type, 'output', 'original_ref type');
    const originalPath = ctx.storage.resolveInside(dir, relName(ref.subfolder, ref.filename));
    res.json(
      await storeUpload(ctx, req, async (mask, name) => {
        await checkImageFile(originalPath, ref.filename, 'original_ref');
        try {
          return await convertImage(async () => ({ op: 'mask', image: await readImageFile(originalPath, ref.filename), mask }));
        } catch (e) {
          if (e instanceof ConvertError && e.input === 'mask') throw uploadImageError(e, name);
          throw storedImageError(e, `the original "${ref.filename}"`);
        }
      }),
    );
  });

  return r;
}
