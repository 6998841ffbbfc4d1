// Files in the data folder: GET /view (images and other outputs) and POST /upload/image.
// Every path is resolved through storage.resolveInside: symlinks followed, nothing outside.
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, posix } from 'node:path';
import { Router, type Request } from 'express';
import multer from 'multer';
import { sanitizeName } from '../../storage.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { checkImage, contentTypeFor } from '../image-check.ts';

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
  r.post('/upload/image', upload.single('image'), async (req: Request, res) => {
    const file = req.file;
    if (!file) throw new HttpError(400, 'no_file', 'the form needs an "image" file field');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const { type, dir } = folder(ctx, b.type, 'input');
    const subfolder = str(b.subfolder, 'subfolder');
    const overwrite = b.overwrite === 'true' || b.overwrite === '1';
    let name = basename(str(file.originalname, 'filename').replace(/\\/g, '/'));
    if (!name || name.startsWith('.')) throw new HttpError(400, 'invalid_filename', `bad file name "${file.originalname}"`);
    try {
      await checkImage(file.buffer);
    } catch (e) {
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
    await ctx.storage.writeFileAtomic(path, file.buffer);
    res.json({ name, subfolder: subfolder ? sanitizeName(subfolder) : '', type });
  });

  return r;
}
