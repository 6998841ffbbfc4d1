// Training graphs kept across runs. Building SD 1.5's (differentiating 22,000 nodes, probing
// shapes) takes minutes; the graph depends only on the model, the layer selection and the
// graph's options, never on images, prompts or δ (all fed), so a run with the same ones opens
// the graph saved by the last. An entry is a folder: model.onnx with its weights and SVD factors
// as external data (page-aligned, so the session maps them from the file as it does a fresh
// graph's), and info.json with what the trainer needs besides the session. The key hashes the
// sources that write graphs too, so a changed builder never reads an old graph. The least
// recently used entries beyond MAX_ENTRIES are removed (SD 1.5's: ~5 GB each).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '../../onnx/index.ts';
import type { TrainGraph, TrainGraphInfo } from './train-graph.ts';

const FORMAT = 'svdiff-train-graph-1';
export const MAX_ENTRIES = 2;
const MODEL_FILE = 'model.onnx';
const INFO_FILE = 'info.json';

/** Folders whose sources write training graphs (relative to server/). */
const GRAPH_SOURCES = ['onnx', 'spectral', 'diffusion/training'];

let fingerprint: string | undefined;
/** Hash of the graph-writing sources (tests excluded): part of every key. */
export function builderFingerprint(): string {
  if (fingerprint) return fingerprint;
  const server = fileURLToPath(new URL('../../', import.meta.url));
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) h.update(path.relative(server, p)).update('\0').update(fs.readFileSync(p));
    }
  };
  for (const s of GRAPH_SOURCES) walk(path.join(server, s));
  fingerprint = h.digest('hex');
  return fingerprint;
}

type StoredInfo = Omit<TrainGraphInfo, 'deltaInputs'> & { format: string; deltaInputs: [string, string][] };

export interface CachedGraph {
  file: string;
  info: TrainGraphInfo;
}

export class TrainGraphCache {
  constructor(readonly dir: string) {}

  /** The key of a graph: everything it is built from, as one JSON-able value, hashed with the builder's sources. */
  key(parts: unknown): string {
    return createHash('sha256').update(FORMAT).update(builderFingerprint()).update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  }

  /** The saved graph of `key`, or undefined (absent or unreadable: then it is removed). */
  load(key: string): CachedGraph | undefined {
    const dir = path.join(this.dir, key);
    let stored: StoredInfo;
    try {
      stored = JSON.parse(fs.readFileSync(path.join(dir, INFO_FILE), 'utf8')) as StoredInfo;
      if (stored.format !== FORMAT || !fs.existsSync(path.join(dir, MODEL_FILE))) throw new Error('incomplete');
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    const now = new Date();
    fs.utimesSync(path.join(dir, INFO_FILE), now, now);
    const { format: _format, deltaInputs, ...rest } = stored;
    return { file: path.join(dir, MODEL_FILE), info: { ...rest, deltaInputs: new Map(deltaInputs) } };
  }

  /** Saves `graph` under `key` (written aside, then renamed into place) and trims the cache. */
  save(key: string, graph: TrainGraph): CachedGraph {
    const { model, ...info } = graph;
    fs.mkdirSync(this.dir, { recursive: true });
    const dir = path.join(this.dir, key);
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      saveModel(model, path.join(tmp, MODEL_FILE));
      const stored: StoredInfo = { format: FORMAT, ...info, deltaInputs: [...info.deltaInputs] };
      fs.writeFileSync(path.join(tmp, INFO_FILE), JSON.stringify(stored));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    this.trim(key);
    return { file: path.join(dir, MODEL_FILE), info };
  }

  /** Removes the least recently used entries beyond MAX_ENTRIES (never `keep`), and leftovers of interrupted saves. */
  private trim(keep: string): void {
    const entries = fs.readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const e of entries) if (e.name.includes('.tmp-') && !e.name.endsWith(`.tmp-${process.pid}`)) fs.rmSync(path.join(this.dir, e.name), { recursive: true, force: true });
    const used = entries
      .filter((e) => !e.name.includes('.tmp-') && e.name !== keep)
      .map((e) => ({ name: e.name, t: mtime(path.join(this.dir, e.name, INFO_FILE)) }))
      .sort((a, b) => b.t - a.t);
    for (const e of used.slice(MAX_ENTRIES - 1)) fs.rmSync(path.join(this.dir, e.name), { recursive: true, force: true });
  }
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
