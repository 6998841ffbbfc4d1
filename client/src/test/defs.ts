// Small node definitions in /api/object_info shape for tests.
import type { ObjectInfo } from '../api/types.ts';

export const DEFS: ObjectInfo = {
  LoadImage: {
    name: 'LoadImage', display_name: 'Load Image', description: '', category: 'image',
    input: { required: { image: [['a.png', 'b.png'], { image_upload: true }] } },
    input_order: { required: ['image'] },
    output: ['IMAGE'], output_name: ['IMAGE'], output_node: false,
  },
  Noise: {
    name: 'Noise', display_name: 'Random Noise', description: '', category: 'latent',
    input: {
      required: { seed: ['INT', { default: 7, min: 0, max: 100, control_after_generate: true }], width: ['INT', { default: 64, min: 8, max: 512, step: 8 }] },
      optional: { strength: ['FLOAT', { default: 0.5, min: 0, max: 1, step: 0.05 }] },
    },
    input_order: { required: ['seed', 'width'], optional: ['strength'] },
    output: ['LATENT'], output_name: ['LATENT'], output_node: false,
  },
  Blend: {
    name: 'Blend', display_name: 'Blend', description: '', category: 'image',
    input: { required: { a: ['IMAGE', {}], b: ['IMAGE', {}], mode: [['mix', 'add'], { default: 'add' }], label: ['STRING', { default: 'x', multiline: true }], flip: ['BOOLEAN', { default: true }] } },
    input_order: { required: ['a', 'b', 'mode', 'label', 'flip'] },
    output: ['IMAGE'], output_name: ['IMAGE'], output_node: false,
  },
  SaveImage: {
    name: 'SaveImage', display_name: 'Save Image', description: '', category: 'image',
    input: { required: { images: ['IMAGE', {}], filename_prefix: ['STRING', { default: 'svdiff' }] } },
    input_order: { required: ['images', 'filename_prefix'] },
    output: [], output_name: [], output_node: true,
  },
};
