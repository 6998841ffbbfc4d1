// Baselines the product's methods are measured against (eval scripts print their rows).
export { FullFineTuneTrainer, trainFullWeights } from './full-finetune.ts';
