// optimizers and learning-rate schedules
export { Optimizer, type OptimizerOptions, type OptimizerStateDict, type ParamState, type HyperValue } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export {
  LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, ReduceLROnPlateau,
  type LrHolder, type LrGroup, type Interval, type OneCycleOptions, type ReduceLROnPlateauOptions, type SchedulerStateDict,
} from './lr-scheduler.js';
export { type ParamGroup, type ParamGroupSpec } from './optimizer.js';
export { type SGDGroup, type SGDHyper } from './sgd.js';
export { type AdamGroup, type AdamHyper } from './adam.js';
export { HYPER_RULES, checkHyper, type HyperRule, type HyperName } from './rules.js';
export { clipGradNorm, clipGradValue, type ClipOptions } from './clip.js';
