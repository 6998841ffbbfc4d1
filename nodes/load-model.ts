// LoadModel: a diffusers-layout ONNX model folder from the models folder (the embedded
// default first) → MODEL. Checks every part and its I/O, hashes the content once (digests
// are remembered by size + mtime), and opens sessions lazily on the chosen device.
import { join } from 'node:path';
import { defineNode, type DeviceName, InputError } from './define.ts';
import { checkDevice, DEFAULT_MODEL, folderSignature, listModels, LoadedModel, ModelLayoutError } from '../server/diffusion/index.ts';

const NODE = 'LoadModel';
const DEVICES = ['default', 'cpu', 'cuda', 'webgpu'] as const;

function modelDir(modelsDir: string, name: string): string {
  if (!listModels(modelsDir).includes(name)) {
    throw new InputError('model_name', `no model "${name}" in ${modelsDir} (a folder holding model_index.json)`);
  }
  return join(modelsDir, name);
}

export default defineNode({
  type: NODE,
  displayName: 'Load Model',
  category: 'loaders',
  description:
    'Loads a diffusion model in the diffusers ONNX layout (model_index.json, unet/, text_encoder/, vae_encoder/, vae_decoder/, tokenizer/, scheduler/) from the models folder. ' +
    'Every part and its inputs/outputs are checked; a content hash identifies the model for caches and shifts. fp32 and fp16 exports work.',
  inputs: {
    model_name: {
      type: 'COMBO',
      options: ({ storage }) => listModels(storage.modelsDir),
      default: DEFAULT_MODEL,
      tooltip: `A sub-folder of the models folder; ${DEFAULT_MODEL} is the embedded default.`,
    },
    device: {
      type: 'COMBO',
      options: DEVICES,
      default: 'default',
      tooltip: 'Execution provider for this model: default uses the server setting (--device); cuda and webgpu fail clearly if they cannot start.',
    },
  },
  outputs: [{ name: 'MODEL', type: 'MODEL' }],

  fingerprint({ model_name }, { storage }) {
    return folderSignature(join(storage.modelsDir, model_name));
  },

  async run({ model_name, device }, ctx) {
    const dir = modelDir(ctx.storage.modelsDir, model_name);
    if (!(DEVICES as readonly string[]).includes(device)) {
      throw new InputError('device', `unknown execution provider "${device}" (expected ${DEVICES.join(', ')})`);
    }
    const concrete: DeviceName = device === 'default' ? ctx.runtime.device : (device as DeviceName);
    try {
      await checkDevice(concrete);
    } catch (e) {
      throw new InputError('device', (e as Error).message);
    }
    try {
      const model = await LoadedModel.load(dir, {
        name: model_name,
        device: concrete,
        hashIndexPath: join(ctx.storage.cacheDir, 'model-hashes.json'),
        writeFileAtomic: (p, d) => ctx.storage.writeFileAtomic(p, d),
      });
      ctx.log(`loaded ${model_name} (${model.contentHash.slice(0, 12)}) on ${concrete}: ${model.latentChannels} latent channels, ×${model.downscale}`);
      return { outputs: [model] };
    } catch (e) {
      if (e instanceof ModelLayoutError) throw new InputError('model_name', `"${model_name}" is not a usable model: ${e.message}`);
      throw e;
    }
  },
});
