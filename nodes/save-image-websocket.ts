// SaveImageWebsocket (ComfyUI's name and contract): sends each image to the prompt's client over
// the WebSocket as a binary frame — uint32 BE 1 (image), uint32 BE 2 (PNG), then the PNG — while
// `executing` names this node, and writes nothing to disk. Scripts read the frames as its output.
import { randomUUID } from 'node:crypto';
import { defineNode, InputError } from './define.ts';
import { batchToPngs } from '../server/image/index.ts';

const NODE = 'SaveImageWebsocket';

export default defineNode({
  type: NODE,
  displayName: 'Save Image (WebSocket)',
  category: 'image',
  description: "Sends the images to the client that queued the prompt, as binary WebSocket frames (ComfyUI's SaveImageWebsocket); nothing is saved on the server.",
  inputs: {
    images: { type: 'IMAGE', tooltip: 'The images to send.' },
  },
  outputs: [],
  outputNode: true,

  // Its output is the frames a client receives, so it runs every time instead of being cached.
  fingerprint: () => randomUUID(),

  async run({ images }, ctx) {
    let pngs: Uint8Array[];
    try {
      pngs = batchToPngs(images);
    } catch (e) {
      throw new InputError('images', (e as Error).message);
    }
    pngs.forEach((png, i) => ctx.progress(i + 1, pngs.length, { image: png }));
    return { outputs: [] };
  },
});
