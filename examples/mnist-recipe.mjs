// the setup the reproductions share (simard-2003.mjs, srivastava-2014.mjs): flags, standardized MNIST,
// and training with model selection on a seeded validation split of the training set (the epoch kept
// is the best on it); the test set is left to the caller, used once at the end
import { Standardizer, TrainStep, evaluate, loadMNIST, trainFFNN } from '../dist/index.js';

export const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);

export function mnist() {
  const st = Standardizer.mnist();
  return { train: st.transform(loadMNIST({ split: 'train' })), test: st.transform(loadMNIST({ split: 'test' })) };
}

// trains through the fused step (throws where TrainStep would make the module calls: the timings are
// the fused step's); returns the epoch kept, its validation accuracy and the training seconds.
// full: the second stage of the usual protocol, all 60,000 training images for a number of epochs
// chosen beforehand on the validation split (the runs with full false), no selection in the run:
// the last epoch is the model (epoch kept = epochs, no validation accuracy)
export function trainSelected(net, train, optimizer, { epochs, seed, schedule, clipGradNorm, full = false }) {
  const why = new TrainStep(net, optimizer, { clipGradNorm }).fallback;
  if (why !== null) throw new Error(`the recipe would run the module calls, not the fused step: ${why}`);
  let best = full ? { epoch: epochs, accuracy: NaN } : { epoch: 0, accuracy: -1 };
  const t0 = performance.now();
  const selection = full ? {} : {
    // 5,000 of the 60,000 training images, never trained on: they choose the epoch kept
    validationSplit: 1 / 12,
    earlyStopping: { monitor: 'accuracy', patience: epochs, restoreBest: true },
  };
  trainFFNN(net, train, optimizer, {
    epochs,
    batchSize: 100,
    seed,
    verbose: 0,
    schedule,
    clipGradNorm,
    ...selection,
    onEpoch: ({ epoch, loss, seconds, validation }) => {
      if (full) {
        console.log(`epoch ${epoch}: train loss ${loss.toFixed(4)}, ${seconds.toFixed(1)} s`);
        return;
      }
      if (validation.accuracy > best.accuracy) best = { epoch, accuracy: validation.accuracy };
      console.log(`epoch ${epoch}: train loss ${loss.toFixed(4)}, validation error ${(100 * (1 - validation.accuracy)).toFixed(2)}%, ${seconds.toFixed(1)} s`);
    },
  });
  return { ...best, full, seconds: (performance.now() - t0) / 1000 };
}

// the test error in percent (the test set's one use) and how the run went, in one line
export function report(name, net, test, paper, r, device) {
  net.eval();
  const err = 100 * (1 - evaluate(net, test).accuracy);
  const kept = r.full
    ? `all 60,000 training images, the last of ${r.epoch} epochs`
    : `epoch ${r.epoch} kept (validation error ${(100 * (1 - r.accuracy)).toFixed(2)}%)`;
  console.log(`${name}: test error ${err.toFixed(2)}% (paper ${paper}%), ${kept}, training ${r.seconds.toFixed(1)} s on device ${device}`);
}
