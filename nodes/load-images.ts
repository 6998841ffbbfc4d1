// LoadImages: every PNG/JPEG directly inside one sub-folder of input/ (sorted by name) as one
// IMAGE batch, e.g. the 3-5 photos of a subject for spectral-shift training.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineNode, type Storage, InputError } from './define.ts';
import { decodeImage, fileProblem, listFolderImages, listImageFolders, probeImage, resizeCover, sha256Hex, stackImages, type RgbImage } from '../server/image/index.ts';

const NODE = 'LoadImages';
const RESIZE = ['refuse', 'center-crop-resize'] as const;

/** A node/input-named error that also carries the bare problem (validate() returns that). */
function folderError(problem: string): Error {
  return Object.assign(new InputError('folder', problem), { problem });
}

/** The folder's real path and its image file names; throws a node/input-named error. */
async function folderImages(storage: Storage, folder: string): Promise<{ dir: string; names: string[] }> {
  let dir: string;
  let names: string[];
  try {
    dir = storage.resolveInside(storage.inputDir, folder);
    names = await listFolderImages(dir);
  } catch (e) {
    throw folderError(fileProblem(e, folder, 'input'));
  }
  if (names.length === 0) throw folderError(`"${folder}" holds no PNG or JPEG images`);
  return { dir, names };
}

async function readBytes(dir: string, name: string): Promise<Uint8Array> {
  const buf = await readFile(join(dir, name));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const sizeMismatch = (folder: string, name: string, w: number, h: number, first: string, fw: number, fh: number) =>
  `"${folder}/${name}" is ${w}×${h} but "${folder}/${first}" is ${fw}×${fh}; make them the same size or set resize to center-crop-resize`;

export default defineNode({
  type: NODE,
  displayName: 'Load Images (folder)',
  category: 'image',
  description:
    'Loads all PNG/JPEG images directly inside a sub-folder of the input folder, sorted by name, as one batch (training images). ' +
    'Sizes must match unless resize is center-crop-resize, which fits every image to the first one\'s size.',
  inputs: {
    folder: {
      type: 'COMBO',
      options: ({ storage }) => listImageFolders(storage.inputDir),
      tooltip: 'A sub-folder of the input folder that holds images.',
    },
    resize: {
      type: 'COMBO',
      options: RESIZE,
      default: 'refuse',
      tooltip: 'refuse: all images must have the same size. center-crop-resize: crop each to the first image\'s aspect ratio and resize to its size.',
    },
  },
  outputs: [
    { name: 'IMAGE', type: 'IMAGE' },
    { name: 'count', type: 'INT' },
  ],

  async fingerprint({ folder }, { storage }) {
    try {
      const { dir, names } = await folderImages(storage, folder);
      const parts: string[] = [];
      for (const n of names) parts.push(`${n}\0${sha256Hex(await readBytes(dir, n))}`);
      return sha256Hex(new TextEncoder().encode(parts.join('\n')));
    } catch {
      return `unreadable:${folder}`;
    }
  },

  // Headers only: sizes are checked without decoding pixels. The engine prefixes messages
  // with the node and `input "folder"`.
  async validate({ folder, resize }, { storage }): Promise<Record<string, string>> {
    if (typeof folder !== 'string') return {};
    try {
      const { dir, names } = await folderImages(storage, folder);
      let first: { name: string; width: number; height: number } | undefined;
      for (const name of names) {
        let size: { width: number; height: number };
        try {
          size = probeImage(await readBytes(dir, name));
        } catch (e) {
          return { folder: `cannot be loaded: "${folder}/${name}" is not a readable image: ${(e as Error).message}` };
        }
        if (!first) first = { name, ...size };
        else if (resize !== 'center-crop-resize' && (size.width !== first.width || size.height !== first.height)) {
          return { folder: `cannot be loaded: ${sizeMismatch(folder, name, size.width, size.height, first.name, first.width, first.height)}` };
        }
      }
      return {};
    } catch (e) {
      return { folder: `cannot be loaded: ${(e as Error & { problem?: string }).problem ?? (e as Error).message}` };
    }
  },

  async run({ folder, resize }, ctx) {
    if (!(RESIZE as readonly string[]).includes(resize)) throw new InputError('resize', `unknown option "${resize}" (expected ${RESIZE.join(' or ')})`);
    const { dir, names } = await folderImages(ctx.storage, folder);
    const images: RgbImage[] = [];
    for (const [i, name] of names.entries()) {
      ctx.signal.throwIfAborted();
      let img: RgbImage;
      try {
        img = decodeImage(await readBytes(dir, name));
      } catch (e) {
        throw new InputError('folder', `cannot read "${folder}/${name}" as an image: ${(e as Error).message}`);
      }
      const first = images[0];
      if (first && (img.width !== first.width || img.height !== first.height)) {
        if (resize === 'refuse') throw new InputError('folder', sizeMismatch(folder, name, img.width, img.height, names[0], first.width, first.height));
        // Area filtering when shrinking (no aliasing); bilinear when any side grows.
        const method = img.width >= first.width && img.height >= first.height ? 'area' : 'bilinear';
        img = resizeCover(img, first.width, first.height, method);
      }
      images.push(img);
      ctx.progress(i + 1, names.length);
    }
    return { outputs: [stackImages(images), images.length] };
  },
});
