// `ffnn bench`: training throughput (forward, loss, backward, SGD step) of an MLP on random data,
// checked against the js reference before it is timed
import { backend, type Device } from '../kernels/index.js';
import { FFNN } from '../nn/ffnn.js';
import { SGD } from '../optim/sgd.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../kernels/types.js';

export interface BenchCommandOptions {
  hidden: number[];
  features: number;
  classes: number;
  batchSize: number;
  seconds: number;
  device: Device | 'both' | 'all';
  dtype: DType;
  threads?: number;
}

export interface BenchResult {
  device: Device;
  samplesPerSec: number;
  steps: number;
}

export function benchDevice(o: BenchCommandOptions, device: Device): BenchResult {
  const B = o.batchSize;
  const net = new FFNN(o.features, o.hidden, 'relu', o.classes, { device, dtype: o.dtype, seed: 1 });
  const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, device });
  const x = Tensor.randn([B, o.features], { seed: 2, dtype: o.dtype });
  const y = new Int32Array(B).map((_, i) => i % o.classes);
  const step = (): void => {
    const p = net.forward(x);
    net.backward(x, y, p);
    opt.step();
  };
  for (let i = 0; i < 3; i++) step();
  let steps = 0;
  const t0 = performance.now();
  const budget = o.seconds * 1000;
  // at least one timed step: a budget shorter than a step still measures one
  do {
    step();
    steps++;
  } while (performance.now() - t0 < budget);
  const s = (performance.now() - t0) / 1000;
  return { device, samplesPerSec: (steps * B) / s, steps };
}

// one forward of the same network on each timed device and on js must agree before anything is timed
function verify(o: BenchCommandOptions, devices: readonly Device[]): void {
  const x = Tensor.randn([Math.min(o.batchSize, 8), o.features], { seed: 3, dtype: 'float64' });
  const b = new FFNN(o.features, o.hidden, 'relu', o.classes, { device: 'js', dtype: 'float64', seed: 4 }).forward(x);
  for (const d of devices) {
    if (d === 'js') continue;
    const a = new FFNN(o.features, o.hidden, 'relu', o.classes, { device: d, dtype: 'float64', seed: 4 }).forward(x);
    for (let i = 0; i < a.size; i++) {
      if (Math.abs(a.data[i] - b.data[i]) > 1e-10) throw new Error(`bench: ${d} and js disagree at output ${i}: ${a.data[i]} vs ${b.data[i]}`);
    }
  }
}

export function runBench(o: BenchCommandOptions): void {
  const devices: Device[] = o.device === 'all' ? ['native', 'js', 'wasm'] : o.device === 'both' ? ['native', 'js'] : [o.device];
  if (o.threads !== undefined && !devices.includes('native')) {
    throw new RangeError(`--threads ${o.threads}: expected --device native, both or all (the ones with threads), received --device ${o.device}`);
  }
  if (o.threads !== undefined) backend('native').setNumThreads(o.threads);
  verify(o, devices);
  const shape = [o.features, ...o.hidden, o.classes].join('-');
  for (const d of devices) {
    // stdout's reader is gone (`ffnn bench | head -n 1`): time nothing more, bin/ffnn.js exits quietly
    if (process.stdout.errored !== null) return;
    const r = benchDevice(o, d);
    const info = backend(d).info();
    process.stdout.write(
      `${d.padEnd(6)} ${shape} relu, batch ${o.batchSize}, ${o.dtype}: ${Math.round(r.samplesPerSec).toLocaleString('en-US')} samples/s ` +
        `(${r.steps} step${r.steps === 1 ? '' : 's'}; ${info.isa}, ${d === 'native' ? info.threads : 1} thread${d === 'native' && info.threads > 1 ? 's' : ''})\n`,
    );
  }
}
