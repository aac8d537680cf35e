// argument checks shared by every public entry point: TypeError for a wrong type, RangeError for a
// wrong value; each message names the argument, what was expected and what was received.

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'boolean' || typeof v === 'symbol') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) {
    const len = (v as unknown as { length?: number }).length;
    return `a ${v.constructor.name}${len === undefined ? '' : ` of length ${len}`}`;
  }
  const ctor = (v as object).constructor;
  if (ctor && ctor !== Object && typeof ctor.name === 'string' && ctor.name) {
    const shape = (v as { shape?: unknown }).shape;
    if (Array.isArray(shape)) return `a ${ctor.name} of shape [${shape.join(', ')}]`;
    return `a ${ctor.name}`;
  }
  return 'an object';
}

export function typeError(name: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${name}: expected ${expected}, received ${describe(got)}`);
}

export function rangeError(name: string, expected: string, got: unknown): RangeError {
  return new RangeError(`${name}: expected ${expected}, received ${describe(got)}`);
}

export function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(name, 'a number', v);
  if (!Number.isFinite(v)) throw rangeError(name, 'a finite number', v);
  return v;
}

export function checkNonNegative(name: string, v: unknown): number {
  checkNumber(name, v);
  if ((v as number) < 0) throw rangeError(name, 'a number >= 0', v);
  return v as number;
}

export function checkPositive(name: string, v: unknown): number {
  checkNumber(name, v);
  if ((v as number) <= 0) throw rangeError(name, 'a number > 0', v);
  return v as number;
}

// a probability in [0, 1] (a dropout's p, on every path: the module and the kernels)
export function checkProbability(name: string, v: unknown): number {
  checkNumber(name, v);
  if ((v as number) < 0 || (v as number) > 1) throw rangeError(name, 'a probability in [0, 1]', v);
  return v as number;
}

// an integer in [min, max]
export function checkInt(name: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw typeError(name, 'an integer', v);
  if (!Number.isInteger(v)) throw rangeError(name, 'an integer', v);
  if (v < min || v > max) {
    throw rangeError(name, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

export function checkBool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw typeError(name, 'a boolean', v);
  return v;
}

export function checkOneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string') throw typeError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  if (!(allowed as readonly string[]).includes(v)) {
    throw rangeError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  }
  return v as T;
}

// an options object's keys: each one of `allowed` (a misspelt option is an error, not a default)
export function checkKeys(name: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw typeError(`${name}.${k}`, `no such option (one of ${allowed.join(', ')})`, o[k]);
    }
  }
}

export function checkObject(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(name, 'an options object', v);
  return v as Record<string, unknown>;
}

// a typed array of the given constructor holding at least `len` elements
export function checkFloatArray(
  name: string,
  v: unknown,
  len: number,
  ctor: Float32ArrayConstructor | Float64ArrayConstructor,
): void {
  if (!(v instanceof ctor)) throw typeError(name, `a ${ctor.name}`, v);
  if (v.length < len) throw rangeError(name, `at least ${len} elements`, v);
}

// every element finite (no NaN, no +-Infinity)
// two views of one buffer whose byte ranges overlap
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
