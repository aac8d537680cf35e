// scalar activations in doubles: value, d/dx and d/dparam (swish beta, celu alpha), by ACT_CODE.
// x is one pre-activation value; param is swish's beta or celu's alpha (ignored by the others).
import { ACT_CODE } from '../types.js';

// two branches so exp never overflows: exp(-|x|) <= 1
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// s (1 - s) as sigmoid(x) sigmoid(-x): 1 - s cancels to 0 for large x, sigmoid(-x) does not
function sigmoidSlope(x: number): number {
  return sigmoid(x) * sigmoid(-x);
}

export function swish(x: number, beta: number): number {
  return x * sigmoid(beta * x);
}

export function celu(x: number, alpha: number): number {
  // expm1 keeps exp(x / a) - 1 accurate near 0
  return Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
}

export function actValue(act: number, x: number, param: number): number {
  switch (act) {
    case ACT_CODE.identity:
      return x;
    case ACT_CODE.relu:
      // NaN passes through, as in torch and the native kernel: a diverged weight must reach the loss
      return x > 0 ? x : Number.isNaN(x) ? x : 0;
    case ACT_CODE.sigmoid:
      return sigmoid(x);
    case ACT_CODE.tanh:
      return Math.tanh(x);
    case ACT_CODE.swish:
      return swish(x, param);
    case ACT_CODE.celu:
      return celu(x, param);
    default:
      return NaN;
  }
}

// d act / dx; relu'(0) = 0 as PyTorch
export function actDerivative(act: number, x: number, param: number): number {
  switch (act) {
    case ACT_CODE.identity:
      return 1;
    case ACT_CODE.relu:
      return x > 0 ? 1 : 0;
    case ACT_CODE.sigmoid:
      return sigmoidSlope(x);
    case ACT_CODE.tanh: {
      const t = Math.tanh(x);
      return 1 - t * t;
    }
    case ACT_CODE.swish: {
      // s + b x s (1 - s), s = sigmoid(b x)
      const t = param * x;
      return sigmoid(t) + t * sigmoidSlope(t);
    }
    case ACT_CODE.celu:
      return x > 0 ? 1 : Math.exp(x / param);
    default:
      return NaN;
  }
}

// d act / d param: swish x^2 s (1 - s); celu (exp(x/a) - 1) - (x/a) exp(x/a) for x <= 0; 0 otherwise
export function actParamDerivative(act: number, x: number, param: number): number {
  switch (act) {
    case ACT_CODE.identity:
    case ACT_CODE.relu:
    case ACT_CODE.sigmoid:
    case ACT_CODE.tanh:
      return 0;
    case ACT_CODE.swish:
      return x * x * sigmoidSlope(param * x);
    case ACT_CODE.celu: {
      if (x > 0) return 0;
      const r = x / param;
      return Math.expm1(r) - r * Math.exp(r);
    }
    default:
      return NaN;
  }
}
