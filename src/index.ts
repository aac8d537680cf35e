// ffnn: feed-forward neural networks with explicit backpropagation; C++ kernels behind N-API,
// each with a plain TypeScript twin (device 'native' or 'js')
export { Tensor, Parameter, DTYPES, type DType, type FloatArray, type TensorOptions, type RandnOptions } from './tensor.js';
export { Rng } from './random.js';
export { FormatError, NonFiniteError } from './errors.js';
export { setNumThreads, getNumThreads, backendInfo, getKernels } from './backend.js';
export type { Device } from './kernels/index.js';
export { ACT_CODE, type Kernels, type BackendInfo, type ActName } from './kernels/types.js';

export * from './nn/index.js';
export * from './optim/index.js';
export * from './data/index.js';

export { trainFFNN, type TrainOptions, type StepInfo, type EpochInfo, type Schedule } from './train/train.js';
export { TrainStep, type TrainStepOptions } from './train/step.js';
export { trainFFNNAsync, type TrainAsyncOptions } from './train/async.js';
export { evaluate, type Evaluation, type EvaluateOptions } from './train/evaluate.js';
export { gradcheck } from './train/gradcheck.js';
export type { GradcheckNet, GradcheckOptions, GradcheckResult, GradcheckParameterResult } from './train/gradcheck.js';

export { plotLosses, type PlotOptions, type LossCurve } from './report/plot.js';
export { EpochProgress } from './report/progress.js';
export { saveSafetensors, loadSafetensors } from './io/index.js';
export {
  saveModel, loadModel, modelConfig, type ModelConfig, type SequentialConfig, type ModuleConfig, type SavableNet, type LoadedModel, type SaveModelOptions,
} from './train/checkpoint.js';
export { predict, type PredictOptions, type Prediction } from './train/predict.js';
export { exportONNX, type ExportONNXOptions } from './io/onnx.js';
