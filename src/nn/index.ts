// the module API: layers, activations, containers, losses and the problem's FFNN
export { Module, type Unchecked } from './module.js';
export type { ModuleOptions } from './options.js';
export { Linear, type LinearOptions } from './linear.js';
export { INITS, initLinear, type InitName } from './init.js';
export {
  Activation, ReLU, Sigmoid, Tanh, Swish, CELU, activation, ACTIVATION_NAMES,
  type ActivationName, type ActivationSpec, type ActivationOptions, type SwishOptions, type CELUOptions,
} from './activation.js';
export { Softmax, softmaxBackward } from './softmax.js';
export { Dropout } from './dropout.js';
export { Sequential } from './sequential.js';
export {
  CELoss, CategoricalCELoss, CrossEntropyLoss, MSELoss,
  type CELossOptions, type CrossEntropyOptions, type MSELossOptions, type LossOptions, type LossModule,
} from './loss.js';
export { FFNN, type FFNNOptions, type FFNNGradients } from './ffnn.js';
export type { Target, Indices } from './validate.js';
