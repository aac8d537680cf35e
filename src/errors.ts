// ffnn's own error classes, for problems that are neither a wrong type nor a wrong value of an argument

// a file that is missing, unreadable, truncated, or not in the expected format
export class FormatError extends Error {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(file === undefined ? message : `${file}: ${message}`);
    this.name = 'FormatError';
    this.file = file;
  }
}

// training (or evaluating) produced a non-finite value; names the step (-1 in evaluate) and the
// parameter or layer where it appeared
export class NonFiniteError extends Error {
  readonly step: number;
  readonly layer: string;
  constructor(message: string, step: number, layer: string) {
    super(message);
    this.name = 'NonFiniteError';
    this.step = step;
    this.layer = layer;
  }
}
