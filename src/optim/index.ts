// optimizers and learning-rate schedules
export { Optimizer, type OptimizerOptions, type OptimizerStateDict, type ParamState, type HyperValue } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export {
  LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, type LrHolder, type SchedulerStateDict,
} from './lr-scheduler.js';
