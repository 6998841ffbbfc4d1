// LoadImage: one PNG or JPEG from input/ (sub-folders included) as an IMAGE batch of one.
// Alpha is dropped (RGB kept as stored, not composited); ComfyUI would also output it as a MASK.
import { defineNode, InputError } from './define.ts';
import { decodeImage, fileProblem, imageToBatch, listImageFiles, probeImage, readInside, sha256Hex } from '../server/image/index.ts';

const NODE = 'LoadImage';

export default defineNode({
  type: NODE,
  displayName: 'Load Image',
  category: 'image',
  description: 'Loads a PNG or JPEG from the input folder (upload one with the button). Transparency is dropped; JPEGs are turned upright by their EXIF orientation.',
  inputs: {
    image: {
      type: 'COMBO',
      options: ({ storage }) => listImageFiles(storage.inputDir),
      imageUpload: true,
      tooltip: 'A file in the input folder; sub-folders show as "folder/name.png".',
    },
  },
  outputs: [{ name: 'IMAGE', type: 'IMAGE' }],

  // The file's content, not its name, decides whether a cached result is still good.
  async fingerprint({ image }, { storage }) {
    try {
      return sha256Hex((await readInside(storage, storage.inputDir, image)).bytes);
    } catch {
      return `unreadable:${image}`; // run() reports the problem
    }
  },

  // Cheap checks only (header, not pixels): this may run on the server's request thread.
  // The engine prefixes messages with the node and `input "image"`.
  async validate({ image }, { storage }): Promise<Record<string, string>> {
    if (typeof image !== 'string') return {};
    try {
      const { bytes } = await readInside(storage, storage.inputDir, image);
      probeImage(bytes);
      return {};
    } catch (e) {
      return { image: `cannot be loaded: ${problem(e, image)}` };
    }
  },

  async run({ image }, ctx) {
    let bytes: Uint8Array;
    try {
      bytes = (await readInside(ctx.storage, ctx.storage.inputDir, image)).bytes;
    } catch (e) {
      throw new InputError('image', fileProblem(e, image, 'input'));
    }
    try {
      return { outputs: [imageToBatch(decodeImage(bytes))] };
    } catch (e) {
      throw new InputError('image', `cannot read "${image}" as an image: ${(e as Error).message}`);
    }
  },
});

function problem(e: unknown, name: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code || (e as Error)?.name === 'PathOutsideError') return fileProblem(e, name, 'input');
  return `cannot read "${name}" as an image: ${(e as Error).message}`;
}
