// The spectral-shift training graph, built once per run: the UNet in the spectral training
// form (one `delta/<layer>` input per layer, W_δ = W + U·diag(ReLU(σ+sδ)−σ)·Vᵀ computed in the
// graph from U, σ, V stored once), optionally fed by the text encoder in the same form (so δ
// of both parts get gradients from one ORT run), and the loss:
//   loss = Σᵢ wᵢ · mean((ε̂ᵢ − targetᵢ)²) + γ · unmix
// with per-item weights wᵢ fed as an input (1/B for instance items, λ/B for class items), and
// unmix = mean over cross-attention maps of Σ P·M, where each mask M (an input) selects the
// identifier tokens' attention outside their subject's region, normalised to a mean.
// trainGraphFrom adds the loss and the gradients to any UNet whose trained tensors are inputs
// (a baseline's lifted weights, say).
import { rowsPerCall } from '../pipeline/chunks.ts';
import { attentionFor, differentiate, GraphBuilder, loadModel, type DifferentiateOptions, makeValueInfo, MAX_RAISED_OPSET, modelOpset, probeShapes, raiseOpset, type ModelProto, type NodeProto, type ValueInfoProto } from '../../onnx/index.ts';
import { addSpectralShifts, factorizeShifts, type ShiftFactors, type SvdValue } from '../../spectral/index.ts';
import type { LoadedModel, PartName } from '../model/index.ts';
import { liftToFloat32 } from './float32-graph.ts';
import type { TrainSettings } from './types.ts';

export const LOSS = 'train/loss';
export const MSE = 'train/mse';
export const PER_ITEM = 'train/per_item';
export const UNMIX = 'train/unmix';
export const TARGET = 'train/target';
export const WEIGHTS = 'train/item_weights';

export interface PartGraph {
  model: ModelProto;
  /** Resolved I/O names (LoadedModel.io[part].inputNames / outputNames). */
  inputs: readonly string[];
  output: string;
}

/** What every training graph of a run shares: the UNet, the fixed input shapes, the unmix weight. */
export interface LossGraphOptions {
  unet: PartGraph;
  /** Fixed input shapes: N items, latent [C, h, w], text [L] or [L, D]. */
  batch: number;
  latent: readonly [number, number, number];
  textLength: number;
  textDim: number;
  /** γ of the unmix penalty; 0 = no attention maps exposed. */
  unmixWeight: number;
  /** How attention is differentiated (differentiate's `attention`): 'batched' for GPUs. */
  attention?: DifferentiateOptions['attention'];
  /** Apply spectral shifts to activations where cheaper than rebuilding W_δ (factorize-train.ts). Default true. */
  shiftActivations?: boolean;
}

export interface TrainGraphOptions extends LossGraphOptions {
  /** Chain the text encoder (its δ are inputs too); absent: encoder_hidden_states is an input. */
  textEncoder?: PartGraph;
  svd: SvdValue;
  /** Layers whose δ get gradients (others are fed but not trained). */
  trainLayers: readonly string[];
}

/** A UNet graph whose trained tensors are inputs (trainGraphFrom adds the loss and gradients). */
export interface TrainableGraph {
  model: ModelProto;
  /** Key (layer, or initializer) → input name, for every such input in the graph. */
  deltaInputs: Map<string, string>;
  /** Shape of the input of a key. */
  inputDims: (key: string) => readonly number[];
  /** Inputs that get gradients. */
  trainInputs: string[];
  /** The text input when the text encoder is chained in; absent: the UNet's text states. */
  text?: TrainGraph['text'];
  /** The W_δ of each shifted layer (names as in `model`). */
  shifts?: ShiftFactors[];
}

/** A cross-attention map exposed for the unmix penalty, with the mask input that weighs it. */
export interface AttentionMap {
  probs: string;
  mask: string;
  /** Shape of the probs tensor: [N, H, Q, L] or [N·H, Q, L]. */
  dims: number[];
  /** Mask shape fed: [N, 1, Q, L] or [N·H, Q, L]. */
  maskDims: number[];
  /** Spatial grid of the map. */
  h: number;
  w: number;
}

export interface TrainGraph {
  /** Forward + backward model (outputs: loss terms and grad/delta/<layer>). */
  model: ModelProto;
  /** Layer name → δ input name, for every layer in the graph. */
  deltaInputs: Map<string, string>;
  trainInputs: string[];
  /** Names and element types of the data inputs. */
  sample: string;
  /** dims: [batch] with perItem (one timestep per item), or [] / [1] where the UNet takes one for the batch. */
  timestep: { name: string; elemType: number; dims: number[]; perItem: boolean };
  /** Items per run of the graph: a step's batch runs in micro-batches of this many (see microBatch). */
  batch: number;
  text: { name: string; elemType: number; dims: number[] };
  attention: AttentionMap[];
  /** Layers whose shift is applied to activations rather than rebuilt into W_δ (factorize-train.ts). */
  activationShifts: string[];
}

/** What a trainer keeps of a TrainGraph once its session is open: everything but the ModelProto,
 *  whose weights (and the SVD factors baked into it) the session now holds. */
export type TrainGraphInfo = Omit<TrainGraph, 'model'>;

const elemTypeOf = (m: ModelProto, name: string): number => (m.graph?.input ?? []).find((v) => v.name === name)?.type?.tensorType?.elemType ?? 1;

/**
 * The timestep input's shape for a batch of N: [N], or one value for the whole batch where the
 * UNet declares a scalar (optimum's current export: []) or an axis fixed to 1 ([1]).
 */
function timestepDims(m: ModelProto, name: string, batch: number): { dims: number[]; perItem: boolean } {
  const dims = (m.graph?.input ?? []).find((v) => v.name === name)?.type?.tensorType?.shape?.dim;
  if (dims?.length === 0) return { dims: [], perItem: false };
  return dims?.length === 1 && Number(dims[0].dimValue) === 1 ? { dims: [1], perItem: false } : { dims: [batch], perItem: true };
}

/**
 * Items per run of the training graph for a step of `items` items: all of them, or where the
 * latents are big (SD at 512²) as many as one UNet call of sampling takes (rowsPerCall: one), so
 * the activations the backward keeps are one item's; the step then runs the graph once per
 * micro-batch and sums losses and gradients (the loss is a weighted sum over items, so the sum is
 * exact). Multi-subject steps keep one run: their unmix penalty spans the batch.
 */
export function microBatch(items: number, latentH: number, latentW: number, subjects: number): number {
  if (subjects > 1) return items;
  let b = Math.min(items, rowsPerCall(latentH, latentW));
  while (items % b !== 0) b--;
  return b;
}

/** Text encoder nodes renamed into the UNet's graph (prefix `te/`), its output feeding encoder_hidden_states. */
/** A text-encoder tensor's name once chained into the UNet's graph (its inputs keep theirs). */
function chainedName(te: ModelProto): (n: string) => string {
  const keep = new Set((te.graph!.input ?? []).map((v) => v.name!));
  return (n) => (n === '' || keep.has(n) ? n : `te/${n}`);
}

function chain(unet: ModelProto, unetText: string, te: ModelProto, teInput: string, teOutput: string): ModelProto {
  const g = unet.graph!;
  const tg = te.graph!;
  const rn = chainedName(te);
  const nodes: NodeProto[] = (tg.node ?? []).map((n) => ({ ...n, name: n.name ? `te/${n.name}` : n.name, input: (n.input ?? []).map(rn), output: (n.output ?? []).map(rn) }));
  const inits = (tg.initializer ?? []).map((t) => ({ ...t, name: rn(t.name!) }));
  nodes.push({ opType: 'Identity', name: 'te/to_unet', input: [rn(teOutput)], output: [unetText] });
  const unetInputs = (g.input ?? []).filter((v) => v.name !== unetText);
  const teInputs = (tg.input ?? []).filter((v) => !unetInputs.some((u) => u.name === v.name));
  void teInput;
  return {
    ...unet,
    graph: { ...g, node: [...nodes, ...(g.node ?? [])], initializer: [...inits, ...(g.initializer ?? [])], input: [...unetInputs, ...teInputs], valueInfo: [] },
  };
}

/** Softmax outputs of cross-attention (module path with `attn2`). */
export function crossAttentionProbs(m: ModelProto): string[] {
  return (m.graph?.node ?? []).filter((n) => n.opType === 'Softmax' && /attn2/.test(n.name ?? '') && !(n.name ?? '').startsWith('te/')).map((n) => n.output![0]);
}

/**
 * A part of a loaded model, read for a training graph (weights loaded lazily), in float32: a
 * half-precision export is lifted (float32-graph.ts says why training does not run in half).
 */
export function partGraph(model: LoadedModel, part: PartName): PartGraph {
  const io = model.io[part];
  return { model: liftToFloat32(loadModel(model.layout.parts[part], { externalData: 'lazy' })), inputs: io.inputNames, output: io.outputNames[0] };
}

/** The shared options of a run's training graph: the model's UNet at the batch and resolution of the settings. */
export function lossGraphOptions(model: LoadedModel, s: TrainSettings, graphBatch?: number): LossGraphOptions {
  const res = s.resolution;
  return {
    unet: partGraph(model, 'unet'),
    batch: graphBatch ?? microBatch(s.batchSize * (s.priorWeight > 0 ? 2 : 1), res / model.downscale, res / model.downscale, s.subjects.length),
    latent: [model.latentChannels, res / model.downscale, res / model.downscale],
    textLength: model.tokenizer.maxLength,
    textDim: model.geometry.textDim ?? 0,
    unmixWeight: s.subjects.length > 1 ? s.unmixWeight : 0,
    attention: attentionFor(model.device),
  };
}

export async function buildTrainGraph(o: TrainGraphOptions): Promise<TrainGraph> {
  const unetText = o.unet.inputs[2];
  const unetShifted = addSpectralShifts(o.unet.model, o.svd, 'unet');
  const deltaInputs = new Map(unetShifted.deltaInputs);
  let model = unetShifted.model;
  const shifts = [...unetShifted.factors.values()];
  let text: TrainGraph['text'] | undefined;
  if (o.textEncoder) {
    const teShifted = addSpectralShifts(o.textEncoder.model, o.svd, 'text_encoder');
    for (const [k, v] of teShifted.deltaInputs) deltaInputs.set(k, v);
    const ids = o.textEncoder.inputs[0];
    const rn = chainedName(teShifted.model);
    for (const f of teShifted.factors.values()) shifts.push({ ...f, wd: rn(f.wd), U: rn(f.U), V: rn(f.V), coef: rn(f.coef), weight: f.weight && rn(f.weight) });
    model = chain(model, unetText, teShifted.model, ids, o.textEncoder.output);
    text = { name: ids, elemType: elemTypeOf(o.textEncoder.model, ids), dims: [o.batch, o.textLength] };
  }
  const trainInputs = o.trainLayers.map((l) => {
    const d = deltaInputs.get(l);
    if (!d) throw new Error(`layer ${l} is not in the training graph`);
    return d;
  });
  return trainGraphFrom(o, { model, deltaInputs, inputDims: (layer) => [o.svd.layers.get(layer)!.k], trainInputs, text, shifts });
}

/** The loss (and unmix penalty) and its gradients with respect to `g.trainInputs`, on the UNet of `g`. */
export async function trainGraphFrom(o: LossGraphOptions, g: TrainableGraph): Promise<TrainGraph> {
  const [sample, timestep, unetText] = o.unet.inputs;
  const text = g.text ?? { name: unetText, elemType: elemTypeOf(o.unet.model, unetText), dims: [o.batch, o.textLength, o.textDim] };
  // Exports are often at opset 14 (optimum's default); the gradient of a Gather (the text
  // encoder's token embedding) is a ScatterND with reduction, which needs opset 16. The ops of
  // such graphs mean the same at 17, so the training graph is built there (or at the model's own
  // opset when higher); the loss nodes follow the graph's opset.
  let model = raiseOpset(g.model, MAX_RAISED_OPSET);
  const [C, h, w] = o.latent;
  const ts = timestepDims(o.unet.model, timestep, o.batch);
  const inputShapes: Record<string, readonly number[]> = {
    [sample]: [o.batch, C, h, w],
    [timestep]: ts.dims,
    [text.name]: text.dims,
  };
  for (const [key, input] of g.deltaInputs) inputShapes[input] = g.inputDims(key);

  // Shapes of the forward graph tell the attention maps' sizes.
  const probsNames = o.unmixWeight > 0 ? crossAttentionProbs(model) : [];
  const fwdShapes = probsNames.length ? await probeShapes(model, inputShapes) : new Map();
  const attention: AttentionMap[] = probsNames.map((probs, i) => {
    const dims = fwdShapes.get(probs)!.dims;
    const Q = dims[dims.length - 2];
    const f = Math.sqrt((h * w) / Q);
    const maskDims = dims.length === 4 ? [dims[0], 1, dims[2], dims[3]] : [...dims];
    return { probs, mask: `train/unmix_mask_${i}`, dims, maskDims, h: Math.round(h / f), w: Math.round(w / f) };
  });

  model = addLoss(model, o.unet.output, attention, o.unmixWeight);
  inputShapes[TARGET] = [o.batch, C, h, w];
  inputShapes[WEIGHTS] = [o.batch];
  for (const a of attention) inputShapes[a.mask] = a.maskDims;
  const shapes = await probeShapes(model, inputShapes);
  let activationShifts: string[] = [];
  if (g.shifts && o.shiftActivations !== false) ({ model, layers: activationShifts } = factorizeShifts(model, g.shifts, shapes));
  const grad = await differentiate(model, { loss: LOSS, wrt: g.trainInputs, shapes, attention: o.attention });
  return {
    model: grad,
    deltaInputs: g.deltaInputs,
    trainInputs: g.trainInputs,
    sample,
    timestep: { name: timestep, elemType: elemTypeOf(o.unet.model, timestep), ...ts },
    batch: o.batch,
    text,
    attention,
    activationShifts,
  };
}

/**
 * The loss nodes, built at the UNet's own opset: exports are opset 14–17 (optimum's default is
 * 14), where ReduceMean takes its axes as an attribute; from 18 on they are an input.
 */
function addLoss(model: ModelProto, output: string, attention: AttentionMap[], unmixWeight: number): ModelProto {
  const g = model.graph!;
  const opset = modelOpset(model);
  const b = new GraphBuilder({ opset });
  b.reserve([...(g.input ?? []).map((v) => v.name!), ...(g.initializer ?? []).map((t) => t.name!), ...(g.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? ''])]);
  b.input(TARGET, 'float32', ['batch', 'c', 'h', 'w']);
  b.input(WEIGHTS, 'float32', ['batch']);
  const diff = b.node('Sub', [output, TARGET], {}, { name: 'train/Sub' });
  const sq = b.node('Mul', [diff, diff], {}, { name: 'train/Sq' });
  const itemMean = { name: 'train/ItemMean', output: PER_ITEM };
  if (opset >= 18) b.node('ReduceMean', [sq, b.ints([1, 2, 3])], { keepdims: 0 }, itemMean);
  else b.node('ReduceMean', [sq], { axes: [1, 2, 3], keepdims: 0 }, itemMean);
  b.node('ReduceSum', [b.node('Mul', [PER_ITEM, WEIGHTS], {}, { name: 'train/Weigh' })], { keepdims: 0 }, { name: 'train/SumItems', output: MSE });
  const outputs: ValueInfoProto[] = [makeValueInfo(LOSS, 'float32', []), makeValueInfo(MSE, 'float32', []), makeValueInfo(PER_ITEM, 'float32', ['batch'])];
  if (attention.length > 0) {
    const terms = attention.map((a, i) => {
      b.input(a.mask, 'float32', a.maskDims);
      return b.node('ReduceSum', [b.node('Mul', [a.probs, a.mask], {}, { name: `train/unmix${i}/Mul` })], { keepdims: 0 }, { name: `train/unmix${i}/Sum` });
    });
    const sum = terms.length === 1 ? terms[0] : b.node('Sum', terms, {}, { name: 'train/unmix/Sum' });
    b.node('Mul', [sum, b.scalar(1 / attention.length)], {}, { name: 'train/unmix/Mean', output: UNMIX });
    b.node('Add', [MSE, b.node('Mul', [UNMIX, b.scalar(unmixWeight)], {}, { name: 'train/unmix/Weigh' })], {}, { name: 'train/Total', output: LOSS });
    outputs.push(makeValueInfo(UNMIX, 'float32', []));
    // The maps themselves are graph outputs too (plots, tests).
    for (const a of attention) outputs.push(makeValueInfo(a.probs, 'float32', a.dims));
  } else {
    b.node('Identity', [MSE], {}, { name: 'train/Total', output: LOSS });
  }
  return {
    ...model,
    graph: { ...g, node: [...(g.node ?? []), ...b.nodes], initializer: [...(g.initializer ?? []), ...b.initializers], input: [...(g.input ?? []), ...b.inputs], output: [...(g.output ?? []), ...outputs] },
  };
}
