// the fused step with clipGradNorm against the fused step without, on the W1, W4 and D3 shapes
// (bench/lib/workloads.mjs): the same TrainStep, the same batches, interleaved repeats, the median
// samples/s of each and their ratio. verifies first that both fuse (fallback null) and that a clip
// above the norm gives the unclipped step's bits.
//   npm run build && node bench/dev/clip-fused.mjs [--repeats 7]
import { CrossEntropyLoss, Dropout, FFNN, Linear, MSELoss, ReLU, SGD, Sequential, Tensor, TrainStep } from '../../dist/index.js';

const repeats = Number(process.argv.includes('--repeats') ? process.argv[process.argv.indexOf('--repeats') + 1] : 7);
const SHAPES = {
  // 784-256-10, summed MSE, batch 16
  W1: { batch: 16, steps: 400, make: () => {
    const net = new Sequential(new Linear(784, 256, { seed: 1 }), new ReLU(), new Linear(256, 10, { seed: 2 }));
    return { net, opt: new SGD(net.parameters(), { lr: 1e-3 }), loss: new MSELoss({ reduction: 'sum' }) };
  } },
  // 784-1024-1024-10 FFNN, CE, batch 256
  W4: { batch: 256, steps: 30, make: () => {
    const net = new FFNN(784, [1024, 1024], 'relu', 10, { seed: 1 });
    return { net, opt: new SGD(net.parameters(), { lr: 0.01 }), loss: undefined };
  } },
  // the dropout paper's net, batch 100, momentum (as examples/srivastava-2014.mjs)
  D3: { batch: 100, steps: 40, make: () => {
    const net = new Sequential(
      new Dropout(0.2, { seed: 1 }), new Linear(784, 1024, { seed: 1 }), new ReLU(), new Dropout(0.5, { seed: 2 }),
      new Linear(1024, 1024, { seed: 3 }), new ReLU(), new Dropout(0.5, { seed: 4 }),
      new Linear(1024, 1024, { seed: 5 }), new ReLU(), new Dropout(0.5, { seed: 6 }), new Linear(1024, 10, { seed: 7 }),
    );
    return { net, opt: new SGD(net.parameters(), { lr: 0.02, momentum: 0.95, nesterov: true, maxNorm: 3.5 }), loss: new CrossEntropyLoss() };
  } },
};

const median = (a) => [...a].sort((u, v) => u - v)[Math.floor(a.length / 2)];
for (const [id, s] of Object.entries(SHAPES)) {
  const x = Tensor.randn([s.batch, 784], { seed: 9 });
  const y = id === 'W1' ? Tensor.randn([s.batch, 10], { seed: 10 }) : Int32Array.from({ length: s.batch }, (_, i) => i % 10);
  const stepOf = (clip) => {
    const m = s.make();
    const st = new TrainStep(m.net, m.opt, { loss: m.loss, clipGradNorm: clip });
    if (st.fallback !== null) throw new Error(`${id}: not fused: ${st.fallback}`);
    return { st, net: m.net };
  };
  // a clip far above the norm changes nothing: the same bits as no clip
  const a = stepOf(undefined);
  const b = stepOf(1e30);
  for (let i = 0; i < 3; i++) if (!Object.is(a.st.run(x, y), b.st.run(x, y))) throw new Error(`${id}: a clip above the norm changed the loss`);
  a.net.parameters().forEach((p, i) => {
    const q = b.net.parameters()[i].data;
    for (let k = 0; k < p.size; k++) if (!Object.is(p.data[k], q[k])) throw new Error(`${id}: a clip above the norm changed ${p.name}`);
  });
  const plain = stepOf(undefined);
  const clipped = stepOf(0.5);
  const time = (t) => {
    const t0 = performance.now();
    for (let i = 0; i < s.steps; i++) t.st.run(x, y);
    return (s.steps * s.batch) / ((performance.now() - t0) / 1000);
  };
  time(plain);
  time(clipped);
  const rp = [];
  const rc = [];
  for (let r = 0; r < repeats; r++) {
    rp.push(time(plain));
    rc.push(time(clipped));
  }
  const p = median(rp);
  const c = median(rc);
  console.log(`${id} (batch ${s.batch}): fused ${p.toFixed(0)} samples/s, fused with clipGradNorm ${c.toFixed(0)} samples/s, ratio ${(c / p).toFixed(3)}`);
}
