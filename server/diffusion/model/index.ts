// Public API of server/diffusion/model: the MODEL socket value and its parts.
export { LoadedModel, checkDevice, type LoadModelOptions, type ModelConfig, type ModelGeometry } from './loaded-model.ts';
export { PARTS, PART_IO, ModelLayoutError, readLayout, checkPartIo, REEXPORT_HINT, TRAINING_MIN_OPSET, type PartName, type ModelLayout, type IoSpec } from './layout.ts';
export { modelContentHash, type HashOptions } from './content-hash.ts';
export { readPartIo, graphIo, type PartIo, type DeclaredValue } from './part-io.ts';
export { PartRunner, timestepsOfType, type FloatTensor } from './run-part.ts';
export { withOverrides, overridesDigest, type SessionRequest } from './sessions.ts';
export { toHalfBits, fromHalfBits, float32ToHalf, halfToFloat32 } from '../../onnx/float16.ts';
export { listModels, DEFAULT_MODEL } from './list.ts';
export { folderSignature } from './fingerprint.ts';
