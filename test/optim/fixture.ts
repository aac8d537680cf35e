// the torch.optim fixtures written by tools/fixtures_optim.py, and builders that replay them
import { readFileSync } from 'node:fs';
import { Parameter } from '../../src/tensor.js';
import type { DType } from '../../src/kernels/types.js';
import { Adam, AdamW, SGD, type Optimizer } from '../../src/optim/index.js';
import type { Device } from '../../src/kernels/index.js';
import { ctorOf } from '../helpers/numeric.js';

type Flat = number[];

export interface StepRecord {
  params: Record<string, Flat>;
  state: Record<string, { momentumBuffer?: Flat; expAvg?: Flat; expAvgSq?: Flat; step?: number }>;
}

export interface OptimConfig {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean | number[]>;
  l1: number;
  // step index -> torch hyper-parameter names (and l1) set before that step
  changes: Record<string, Record<string, number>>;
  float64: StepRecord[];
  float32: StepRecord[];
}

export interface OptimFixture {
  torch: string;
  shapes: Record<string, number[]>;
  init: Record<string, Flat>;
  grads: Record<string, Flat | null>[];
  configs: Record<string, OptimConfig>;
}

export interface ScheduleFixture {
  torch: string;
  epochs: number;
  schedules: Record<string, { scheduler: string; lr: number; options: Record<string, number>; lrs: number[] }>;
  // a second schedule created after the first ran epochs1 epochs; lrs after each epoch
  restarts: Record<string, {
    lr: number; first: [string, Record<string, number>]; epochs1: number; second: [string, Record<string, number>]; lrs: number[];
  }>;
}

const dir = new URL('../fixtures/optim/', import.meta.url);

export const optimFixture = JSON.parse(readFileSync(new URL('optimizers.json', dir), 'utf8')) as OptimFixture;
export const scheduleFixture = JSON.parse(readFileSync(new URL('schedules.json', dir), 'utf8')) as ScheduleFixture;

export const PARAM_NAMES = Object.keys(optimFixture.shapes);

// torch's keyword names -> ffnn's
const NAMES: Record<string, string> = { weight_decay: 'weightDecay', lr: 'lr', momentum: 'momentum',
  dampening: 'dampening', nesterov: 'nesterov', betas: 'betas', eps: 'eps', l1: 'l1' };

export function ffnnName(torchName: string): string {
  const n = NAMES[torchName];
  if (n === undefined) throw new Error(`no ffnn name for torch option ${torchName}`);
  return n;
}

export function makeParams(dtype: DType): Parameter[] {
  return PARAM_NAMES.map((k) => new Parameter(new (ctorOf(dtype))(optimFixture.init[k]), optimFixture.shapes[k], k));
}

export function makeOptimizer(cfg: OptimConfig, params: Parameter[], device: Device): Optimizer {
  const opts: Record<string, unknown> = { device, l1: cfg.l1 };
  for (const [k, v] of Object.entries(cfg.options)) opts[ffnnName(k)] = v;
  if (cfg.optimizer === 'SGD') return new SGD(params, opts as never);
  if (cfg.optimizer === 'Adam') return new Adam(params, opts as never);
  return new AdamW(params, opts as never);
}

// applies the fixture's hyper-parameter changes for `step`, then sets the step's gradients
export function prepareStep(opt: Optimizer, params: Parameter[], cfg: OptimConfig, step: number): void {
  for (const [k, v] of Object.entries(cfg.changes[String(step)] ?? {})) {
    (opt as unknown as Record<string, number>)[ffnnName(k)] = v;
  }
  const grads = optimFixture.grads[step];
  for (const p of params) {
    const g = grads[p.name];
    if (g === null) p.grad = null;
    else {
      const t = p.ensureGrad();
      t.data.set(g);
    }
  }
}
