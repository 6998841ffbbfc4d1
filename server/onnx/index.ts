// Public API of the ONNX toolkit (see README.md in this folder).
export * from './proto.ts';
export * from './tensor.ts';
export { loadModel, saveModel, serializeModel, readTensorBytes, allTensors, modelDataBytes, modelFolderBytes, cloneModelTree, type LoadOptions, type SaveOptions } from './io.ts';
export { MAX_RAISED_OPSET, modelOpset, raiseOpset } from './opset.ts';
export { GraphBuilder, float, FloatAttr, GraphAttr, makeAttribute, makeValueInfo, DEFAULT_OPSET, type Attrs, type AttrValue, type BuilderOptions } from './builder.ts';
export { ARENA_MAX_BYTES, RUN_RELEASE, createSession, clearSessionCache, resolveDevice, DeviceUnavailableError, ort, type Device, type ConcreteDevice, type Session, type SessionOptions } from './session.ts';
export { probeShapes, pinShapes, zeros, ortTypeToOnnx, type ShapeMap, type TensorInfo, type ProbeOptions } from './shapes.ts';
export { attentionFor, differentiate, differentiateWithShapes, type DifferentiateOptions } from './autodiff/differentiate.ts';
export { addMseLoss, addWeightedSum } from './autodiff/losses.ts';
export { supportedOps } from './autodiff/rules/index.ts';
export { GradientError, type GradRule, type RuleContext } from './autodiff/rule.ts';
export { gradCheck, rng, normal, type GradInput, type GradCheckOptions, type GradCheckResult } from './autodiff/gradcheck.ts';
export { AdamW, type AdamWOptions, type AdamWState, type ParamGroup } from './train/adamw.ts';
export { toHalfBits, fromHalfBits, float32ToHalf, halfToFloat32, fromBfloat16Bits } from './float16.ts';
export { liftParameters, bakeParameters, type Parameter } from './train/params.ts';
export { Trainer, type TrainerOptions, type StepResult } from './train/trainer.ts';
