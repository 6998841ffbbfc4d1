// The spectral layers of a whole model (UNet and text encoder graphs) and their weights.
// Graphs are read without their external data (only structure and dims) and remembered per
// file, so finding layers again (Load Shifts, a second SVD Decompose) costs no weight reads.
import { statSync } from 'node:fs';
import { loadModel, readTensorBytes, type ModelProto, type TensorProto } from '../onnx/index.ts';
import { findSpectralLayers, weightValues, type SpectralLayer, type SpectralPart } from './layers.ts';

/** What the spectral code needs of a MODEL value (LoadedModel has it). */
export interface SpectralModelRef {
  readonly contentHash: string;
  readonly layout: { readonly parts: { readonly unet: string; readonly text_encoder: string } };
}

const graphs = new Map<string, ModelProto>();
const MAX_GRAPHS = 4;

/** The part's graph, external tensors left on disk (read one at a time with readWeight). */
export function partGraph(file: string): ModelProto {
  const st = statSync(file);
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  let g = graphs.get(key);
  if (g) {
    graphs.delete(key);
    graphs.set(key, g);
    return g;
  }
  g = loadModel(file, { externalData: 'lazy' });
  graphs.set(key, g);
  while (graphs.size > MAX_GRAPHS) graphs.delete(graphs.keys().next().value as string);
  return g;
}

/**
 * Layers of the given parts. UNet layers are named by module path (as the reference's
 * shift files are); a text-encoder layer whose path collides with a UNet one gets a
 * `text_encoder.` prefix (never happens for SD: CLIP's paths start with `text_model.`).
 */
export function modelLayers(model: SpectralModelRef, parts: readonly SpectralPart[] = ['unet', 'text_encoder']): SpectralLayer[] {
  const out: SpectralLayer[] = [];
  const names = new Set<string>();
  for (const part of ['unet', 'text_encoder'] as const) {
    if (!parts.includes(part)) continue;
    for (const l of findSpectralLayers(partGraph(model.layout.parts[part]), part)) {
      const name = names.has(l.name) ? `${part}.${l.name}` : l.name;
      names.add(name);
      out.push({ ...l, name });
    }
  }
  return out;
}

/** Layer name → δ length, for validating shift files. */
export function layerLengths(layers: Iterable<Pick<SpectralLayer, 'name' | 'k'>>): Map<string, number> {
  return new Map([...layers].map((l) => [l.name, l.k]));
}

/** W of a layer as float32, in its stored layout (= the rows × cols matrix, row-major). */
export function readWeight(model: SpectralModelRef, layer: SpectralLayer): Float32Array {
  const t = initializerOf(partGraph(model.layout.parts[layer.part]), layer.initializer, layer.part);
  return weightValues(t, readTensorBytes(t));
}

function initializerOf(g: ModelProto, name: string, part: string): TensorProto {
  const t = (g.graph?.initializer ?? []).find((x) => x.name === name);
  if (!t) throw new Error(`${part}: the graph has no initializer ${name}`);
  return t;
}
