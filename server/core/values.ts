// Values that flow between nodes and layers: image batches, and references to saved images
// with the one mapping from an image's folder type to its folder.
import type { Storage } from './storage.ts';

export interface ImageBatch {
  readonly data: Float32Array;
  /** [batch, height, width, channels] */
  readonly shape: readonly [number, number, number, number];
}

/** What an output node shows in the UI (ComfyUI's `executed.output`). */
export interface UiOutput {
  images?: ImageRef[];
  [key: string]: unknown;
}
export interface ImageRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp' | 'input';
}


/** The folder of a saved or uploaded image (ComfyUI's `type`: output, temp or input). */
export function imageTypeDir(storage: Storage, type: ImageRef['type']): string {
  return type === 'input' ? storage.inputDir : type === 'temp' ? storage.tempDir : storage.outputDir;
}

export const IMAGE_TYPES: readonly ImageRef['type'][] = ['output', 'temp', 'input'];
