// Model folders in ComfyUI's shapes: GET /embeddings, GET /models (folder names),
// GET /models/{folder} (names in it) and GET /view_metadata/{folder}?filename= (a safetensors
// file's __metadata__). The folders here: `models` (diffusers-layout ONNX model folders, the
// embedded default first), `shifts` (data/shifts/**/*.safetensors) and `adapters`
// (data/adapters/**/*.safetensors).
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Router } from 'express';
import { listModels } from '../../diffusion/model/list.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { listFiles } from '../list-files.ts';
import { readSafetensorsHeader, SafetensorsError } from '../../spectral/safetensors.ts';

export const MODEL_FOLDERS = ['models', 'shifts', 'adapters'] as const;
type ModelFolder = (typeof MODEL_FOLDERS)[number];

const SAFETENSORS = '.safetensors';

export function modelRoutes(ctx: AppContext): Router {
  const r = Router();
  const { storage } = ctx;
  const dirOf = (folder: ModelFolder): string =>
    folder === 'models' ? storage.modelsDir : folder === 'shifts' ? storage.shiftsDir : storage.adaptersDir;
  const folderOf = (name: string): ModelFolder => {
    if (!(MODEL_FOLDERS as readonly string[]).includes(name)) {
      throw new HttpError(404, 'unknown_folder', `no model folder "${name}" (there are: ${MODEL_FOLDERS.join(', ')})`);
    }
    return name as ModelFolder;
  };

  // No textual-inversion embeddings in this studio.
  r.get('/embeddings', (_req, res) => {
    res.json([]);
  });

  r.get('/models', (_req, res) => {
    res.json([...MODEL_FOLDERS]);
  });

  const filesOf = async (folder: ModelFolder): Promise<string[]> =>
    folder === 'models' ? listModels(storage.modelsDir) : listFiles(dirOf(folder), (n) => n.endsWith(SAFETENSORS));

  r.get('/models/:folder', async (req, res) => {
    res.json(await filesOf(folderOf(req.params.folder)));
  });

  // ComfyUI's experimental model manager (SDKs' getModelFolders / getModelFiles). Folders are
  // named, not given as absolute paths: no client needs to learn where the data folder lives.
  r.get('/experiment/models', (_req, res) => {
    res.json(MODEL_FOLDERS.map((name) => ({ name, folders: [name] })));
  });

  r.get('/experiment/models/:folder', async (req, res) => {
    const folder = folderOf(req.params.folder);
    const names = await filesOf(folder);
    const base = dirOf(folder);
    const entries = await Promise.all(
      names.map(async (name) => {
        const st = await stat(join(base, name)).catch(() => undefined);
        return { name, pathIndex: 0, modified: st ? st.mtimeMs / 1000 : 0, created: st ? st.birthtimeMs / 1000 : 0, size: st?.isFile() ? st.size : 0 };
      }),
    );
    res.json(entries);
  });

  r.get('/view_metadata/:folder', async (req, res) => {
    const folder = folderOf(req.params.folder);
    const filename = req.query.filename;
    if (filename === undefined || filename === '') throw new HttpError(400, 'invalid_request', 'filename is required');
    if (typeof filename !== 'string') throw new HttpError(400, 'invalid_request', 'filename must be a string');
    if (!filename.endsWith(SAFETENSORS)) throw new HttpError(400, 'invalid_request', `only ${SAFETENSORS} files carry metadata, not "${filename}"`);
    const base = dirOf(folder);
    if (!existsSync(base)) throw new HttpError(404, 'not_found', `no file "${filename}" in ${folder}`);
    const path = storage.resolveInside(base, filename);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, 'not_found', `no file "${filename}" in ${folder}`);
    let header: Record<string, unknown>;
    try {
      header = await readSafetensorsHeader(path, filename);
    } catch (e) {
      if (e instanceof SafetensorsError) throw new HttpError(422, 'invalid_safetensors', e.message);
      throw e;
    }
    const meta = header.__metadata__;
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new HttpError(404, 'no_metadata', `"${filename}" has no __metadata__`);
    res.json(meta);
  });

  return r;
}
