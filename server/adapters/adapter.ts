// Adapters: low-rank weight edits beside a model's own weights, never merged into them.
// For a layer with weight W (torch view: out × in, a conv's in spanning c_in·kh·kw) an adapter
// of rank r adds  ΔW = (alpha / r) · up · down,  up: out × r, down: r × in  — the LoRA form
// (kohya, and SPM's 1-dimensional adapter at r = 1). At inference each adapter is scaled by
// its strength and, with facilitated transport, by the prompt's transport rate (transport.ts).
// An adapter may instead carry spectral shifts (δ on singular values, erasing trained as SVDiff
// shifts): the same concepts and transport, applied as W_δ with δ scaled by the coefficient.
import type { SpectralShifts } from '../spectral/index.ts';

export interface AdapterLayer {
  /** Module path of the adapted layer (the spectral layer name, e.g. `down_blocks.0.resnets.0.conv1`). */
  name: string;
  rank: number;
  /** out × rank, row-major. */
  up: Float32Array;
  /** rank × in, row-major. */
  down: Float32Array;
  alpha: number;
  out: number;
  in: number;
  /** A conv's kernel size [kh, kw] (files store down as [r, c_in, kh, kw]); absent for a linear layer. */
  kernel?: number[];
}

export interface Adapter {
  /** Content hash of the model the adapter was trained on ('' for an imported file). */
  modelHash: string;
  /** Low-rank layers (empty for a spectral adapter). */
  layers: Map<string, AdapterLayer>;
  /** Spectral shifts, for an adapter trained as δ on singular values. */
  spectral?: SpectralShifts;
  /** The prompts the adapter erases (facilitated transport compares prompts with them). */
  concepts: string[];
  metadata: Record<string, string>;
}

/** One adapter as a sampler applies it. */
export interface AdapterUse {
  adapter: Adapter;
  /** Multiplies the adapter's update (1 = as trained). */
  strength: number;
  /** Where it came from (file name or node), for logs and errors. */
  label: string;
}

/** The ADAPTER socket's value: one or more adapters applied together. */
export interface AdapterStack {
  uses: readonly AdapterUse[];
}

/** ΔW's scale: alpha / rank. */
export function adapterScale(l: Pick<AdapterLayer, 'alpha' | 'rank'>): number {
  return l.alpha / l.rank;
}

/** Parameters of an adapter (up and down of every layer). */
export function adapterParameters(a: Adapter): number {
  let n = 0;
  for (const l of a.layers.values()) n += l.up.length + l.down.length;
  for (const d of a.spectral?.deltas.values() ?? []) n += d.length;
  return n;
}
