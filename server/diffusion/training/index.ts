// Public API of spectral-shift training: the node and the eval script import from here.
export { runTraining, nativeResolution, type RunOptions, type RunOutput } from './run.ts';
export { trainShifts, ShiftTrainer, trainedLayers, type TrainRun, type TrainResult } from './loop.ts';
export { validateTraining, hasWord, type TrainRequest, type SubjectRequest, type Validated } from './validate.ts';
export { PRIOR_TARGETS, TRAINED_PARTS, type PriorTarget, type TrainSettings, type TrainedParts, type Subject, type StepReport } from './types.ts';
export { composeSideBySide, mixPrompt, stripRegions, regionMask, unmixMask, tokenPositions, MAX_MIX_SUBJECTS, type Region } from './cut-mix.ts';
export { augment, drawAugment, applyAugment, flipHorizontal, type AugmentOptions } from './augment.ts';
export { ensureClassImages, classImageKey, classImageDir, CLASS_IMAGE_DEFAULTS, type ClassImageSpec } from './class-images.ts';
export { CheckpointStore, runKey, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './checkpoint.ts';
export { drawBatch, type BatchItem } from './batch.ts';
export { buildTrainGraph, crossAttentionProbs, trainGraphFrom, lossGraphOptions, microBatch, type TrainGraph, type TrainableGraph, type LossGraphOptions } from './train-graph.ts';
// The pieces a trainer is built from (research/baselines builds a full fine-tune on them).
export { checkTrainable } from './trainable.ts';
export { GraphTrainer, imageFeeds, openTrainSession, trainOnce, type GraphRun, type LoopRun, type StepItem, type StepSource } from './graph-trainer.ts';
export { runOptimizer } from './optimizer.ts';
