// one rule per optimizer hyper-parameter: the optimizers (constructor, setters, param groups, step,
// loadStateDict), TrainStep's plan state and the checked kernels of getKernels() accept and refuse
// the same values, with the same words; the binding refuses them too (test/optim/rules.test.ts walks
// every rule through every entry point).
import { checkBool, checkNumber, rangeError, typeError } from '../util/check.js';

export interface NumberRule {
  kind: 'number';
  min: number;
  // true: min itself is refused
  minOpen: boolean;
  max: number;
  maxOpen: boolean;
}

export interface BoolRule {
  kind: 'boolean';
}

export type HyperRule = NumberRule | BoolRule;

const num = (min: number, minOpen: boolean, max = Infinity, maxOpen = true): NumberRule => ({ kind: 'number', min, minOpen, max, maxOpen });

export const HYPER_RULES = {
  lr: num(0, false),
  momentum: num(0, false),
  // torch does not check it; a negative dampening would scale the gradient up with the momentum
  dampening: num(0, false),
  nesterov: { kind: 'boolean' } as BoolRule,
  weightDecay: num(0, false),
  l1: num(0, false),
  // the largest L2 norm of a unit's incoming weights (a column of W); 0 switches it off
  maxNorm: num(0, false),
  beta: num(0, false, 1, true),
  eps: num(0, true),
  decoupled: { kind: 'boolean' } as BoolRule,
} as const;

export type HyperName = keyof typeof HYPER_RULES;

// the words of a rule: 'a number >= 0', 'a number > 0', 'a number in [0, 1)'
export function expected(rule: NumberRule): string {
  if (rule.max === Infinity) return `a number ${rule.minOpen ? '>' : '>='} ${rule.min}`;
  return `a number in ${rule.minOpen ? '(' : '['}${rule.min}, ${rule.max}${rule.maxOpen ? ')' : ']'}`;
}

export function accepts(rule: NumberRule, v: number): boolean {
  return (rule.minOpen ? v > rule.min : v >= rule.min) && (rule.maxOpen ? v < rule.max : v <= rule.max);
}

export function checkHyper(name: string, key: 'nesterov' | 'decoupled', v: unknown): boolean;
export function checkHyper(name: string, key: Exclude<HyperName, 'nesterov' | 'decoupled'>, v: unknown): number;
export function checkHyper(name: string, key: HyperName, v: unknown): number | boolean {
  const rule: HyperRule = HYPER_RULES[key];
  if (rule.kind === 'boolean') return checkBool(name, v);
  const x = checkNumber(name, v);
  if (!accepts(rule, x)) throw rangeError(name, expected(rule), x);
  return x;
}

// torch: "Nesterov momentum requires a momentum and zero dampening"
export function checkNesterov(name: string, nesterov: boolean, momentum: number, dampening: number): void {
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `${name}: expected nesterov only with momentum > 0 and dampening 0, received momentum ${momentum}, dampening ${dampening}`,
    );
  }
}

// Adam's [beta1, beta2], each by the beta rule
export function checkBetas(name: string, v: unknown): [number, number] {
  if (!Array.isArray(v)) throw typeError(name, 'an array of two numbers [beta1, beta2]', v);
  if (v.length !== 2) throw rangeError(name, 'an array of two numbers [beta1, beta2]', v);
  return [checkHyper(`${name}[0]`, 'beta', v[0]), checkHyper(`${name}[1]`, 'beta', v[1])];
}
