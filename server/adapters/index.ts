// Public API of server/adapters: low-rank adapters beside a model's weights (SPM's
// one-dimensional adapters, LoRA files), their training form, inference overrides, files and
// facilitated transport.
export * from './adapter.ts';
export { adapterTarget, adapterTargets, inScope, storedDelta, ADAPTER_SCOPES, type AdapterScope, type AdapterTarget } from './layers.ts';
export { addAdapters, ADAPTER_PREFIX, type AdapterTrainGraph, type AdapterRewriteOptions } from './rewrite-train.ts';
export { adapterOverrides, checkAdapters, modelTargets, AdapterApplyError, type AdapterOverrides } from './bake.ts';
export { encodeAdapterFile, decodeAdapterFile, loraKey, AdapterFileError, ADAPTER_EXT, ADAPTER_PRECISIONS, type AdapterPrecision, META_MODEL_HASH as ADAPTER_META_MODEL_HASH, type LoadedAdapter } from './file.ts';
export { transportRate, tokenOverlap, stateSimilarity, cosine, type EncodedText } from './transport.ts';
export type {} from './sockets.ts';
