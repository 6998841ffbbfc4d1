// Public API of concept erasing (SPM's objective): settings, validation, training.
export { ERASE_MODES, type EraseMode, type EraseSettings } from './types.ts';
export { validateErase, ERASE_DEFAULTS, type EraseRequest } from './validate.ts';
export { trainErase, EraseTrainer, type EraseRun, type EraseOutput } from './trainer.ts';
export { EraseFeeds, frozenNoise, type EraseItem } from './feeds.ts';
export { AnchorSampler, type Anchor } from './anchors.ts';
export { applyWeightEdits, transportRates, type WeightEdits, type AppliedEdits } from './apply.ts';
export { runErase, type EraseRunOptions, type EraseRunOutput } from './run.ts';
