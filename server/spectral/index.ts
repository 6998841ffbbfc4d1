// Public API of server/spectral: spectral layers of a graph, SVD factors (SVD value), the
// training-form rewrite, baked inference overrides, SHIFTS values, shift files and combining.
export * from './shifts.ts';
export * from './shift-file.ts';
export * from './combine.ts';
export * from './svd-cache.ts';
export * from './sd15-layers.ts';
export { parseSafetensors, serializeSafetensors, f32FromBytes, SafetensorsError, type SafetensorsFile, type WrittenDtype, type SafetensorsTensor } from './safetensors.ts';
export { findSpectralLayers, moduleName, weightValues, SPECTRAL_PARTS, type SpectralLayer, type SpectralPart, type LayerKind } from './layers.ts';
export {
  DEFAULT_SELECTION, PARTS_OPTIONS, LAYERS_OPTIONS, partsFromOption, isAttentionLayer, nameMatcher, selectLayers, selectionHash,
  type LayerSelection, type PartsOption, type LayersOption,
} from './selection.ts';
export { modelLayers, layerLengths, partGraph, readWeight, type SpectralModelRef } from './model-layers.ts';
export {
  decomposeModel, decomposeGraph, layerFactors, normFactors, svdCacheDir, svdLayerLengths, POOL_MIN_ELEMENTS,
  type SvdLayer, type SvdValue, type DecomposeOptions, type DecomposeStats,
} from './svd-model.ts';
export { addSpectralShifts, zeroDeltaFeeds, DELTA_PREFIX, type TrainRewriteOptions, type SpectralTrainGraph, type ShiftFactors } from './rewrite-train.ts';
export { factorizeShifts, shiftCosts, type FactorizeResult } from './factorize-train.ts';
export { listShiftFiles, shiftSavePath, savePathIn, loadShiftsForModel, fileSignature, SHIFT_EXT, type LoadedShiftFile } from './shift-library.ts';
export { shiftLayers, shiftOverrides, shiftOverridesKeys, shiftedWeight, ShiftApplyError, type PartOverrides, type BakeOptions } from './bake.ts';
export type {} from './sockets.ts';
