// a network's own description of its training step for the fused step (src/train/step.ts): the
// chain of Linear (+ activation) layers and the dropouts its forward runs, in order, or why it cannot
// be one. the networks build it from their modules (Sequential from its own Linear + activation
// pairing, FFNN from its layers), so the driver reads no module's internals and decides nothing by
// class
import type { Device } from '../kernels/index.js';
import { ACT_CODE, type DType, type Reduction } from '../kernels/types.js';
import type { Parameter } from '../tensor.js';
import type { Activation } from './activation.js';
import type { Dropout } from './dropout.js';
import type { Linear } from './linear.js';

// one Linear (+ activation): weight (IN, OUT), bias (OUT) or null
export interface FusedLayer {
  IN: number;
  OUT: number;
  weight: Parameter;
  bias: Parameter | null;
  // an ACT_CODE (identity without activation)
  act: number;
  // the beta / alpha the activation's forward would use now (0 for the others); throws on a bad
  // learnable value, as forward does
  paramValue: () => number;
  // a learnable beta / alpha (shape [1], which layers may share), or null
  scalar: Parameter | null;
}

// a Dropout on the input of layer `at` (at = layers.length: on the output); its fusedDrop() is read at
// every step (null while it is the identity)
export interface FusedDrop {
  at: number;
  dropout: Pick<Dropout, 'fusedDrop'>;
}

export interface FusedNet {
  // 'ffnn': FFNN's own loss (softmax, CELoss, stored gradients); 'module': a loss module's, after zeroGrad
  loss: 'ffnn' | 'module';
  layers: readonly FusedLayer[];
  drops: readonly FusedDrop[];
}

export type FusedPlan = FusedNet | { fallback: string };

// a loss module's description for a fused step: its kernel, reduction and placement (dtype undefined:
// the prediction's)
export interface FusedLoss {
  loss: 'cross-entropy' | 'mse';
  reduction: Reduction;
  device: Device;
  dtype: DType | undefined;
}

// a Linear and the activation its forward fuses (null: none) as one layer of a fused step
export function fusedLayer(linear: Linear, act: Activation | null): FusedLayer {
  return {
    IN: linear.inFeatures,
    OUT: linear.outFeatures,
    weight: linear.weight,
    bias: linear.bias,
    act: act === null ? ACT_CODE.identity : act.code,
    paramValue: act === null ? () => 0 : () => act.paramValue(),
    scalar: act === null ? null : act.param,
  };
}
