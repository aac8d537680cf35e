// terminal progress of one epoch: a cli-progress bar with loss, samples/s and ETA on a terminal,
// one summary line per epoch otherwise (logs and CI stay readable)
import cliProgress from 'cli-progress';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface EpochSummary {
  epoch: number;
  epochs: number;
  loss: number;
  samplesPerSec: number;
  seconds: number;
  valLoss?: number;
  valAccuracy?: number;
}

export function formatSummary(s: EpochSummary): string {
  let line =
    `epoch ${s.epoch}/${s.epochs}  loss ${s.loss.toFixed(4)}  ` +
    `${Math.round(s.samplesPerSec).toLocaleString('en-US')} samples/s  ${s.seconds.toFixed(2)} s`;
  if (s.valLoss !== undefined) line += `  val loss ${s.valLoss.toFixed(4)}`;
  if (s.valAccuracy !== undefined && !Number.isNaN(s.valAccuracy)) line += `  val acc ${(100 * s.valAccuracy).toFixed(2)}%`;
  return line;
}

export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly stream: ProgressStream;
  private lastRedraw = 0;

  constructor(stream: ProgressStream = process.stdout) {
    this.stream = stream;
  }

  get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  start(epoch: number, epochs: number, batches: number): void {
    if (!this.interactive) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} batches  loss {loss}  {rate} samples/s  ETA {eta_formatted}`,
        barsize: 24,
        // the training loop is synchronous, so a Ctrl-C handler never runs: change no terminal mode that
        // would need restoring (cursor shown, line wrap kept on; cli-progress then cuts the line to the width)
        hideCursor: false,
        linewrap: true,
        clearOnComplete: true,
        etaBuffer: 50,
        stream: this.stream as NodeJS.WritableStream,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: '-', rate: '-' });
    this.lastRedraw = 0;
  }

  // called once per batch; redraws at most ten times a second
  update(batch: number, loss: number, samplesPerSec: number): void {
    if (this.bar === null) return;
    const now = Date.now();
    if (now - this.lastRedraw < 100 && batch < this.bar.getTotal()) return;
    this.lastRedraw = now;
    this.bar.update(batch, { loss: loss.toFixed(4), rate: Math.round(samplesPerSec).toLocaleString('en-US') });
  }

  finish(summary: EpochSummary): void {
    if (this.bar !== null) {
      this.bar.stop();
      this.bar = null;
    }
    this.stream.write(formatSummary(summary) + '\n');
  }

  // stops the bar without a summary (an error ended the epoch)
  abort(): void {
    if (this.bar !== null) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
