// the error-quality rule the red-team harness applies to every error a case provokes
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM shared with redteam/run.mjs
import { errorQuality } from './redteam/harness.mjs';

const rule = errorQuality as (name: string, isError: boolean, message: string) => string | null;

describe('the error-quality rule', () => {
  it('passes an error that names the argument, what was expected and what came', () => {
    expect(rule('RangeError', true, 'options.epochs: expected an integer >= 0, received -1')).toBeNull();
    expect(rule('FormatError', true, '/tmp/m.safetensors: checksum mismatch')).toBeNull();
    expect(rule('Error', true, 'trainFFNN: net is already being trained by a trainFFNN call that has not returned')).toBeNull();
  });

  it('refuses incidental V8 errors, nameless messages and non-Errors', () => {
    expect(rule('TypeError', true, "Cannot read properties of undefined (reading 'shape')")).toMatch(/incidental/);
    expect(rule('TypeError', true, 'this.stream.write is not a function')).toMatch(/incidental/);
    expect(rule('TypeError', true, 'Cannot read private member #data from an object whose class did not declare it')).toMatch(/incidental/);
    expect(rule('TypeError', true, 'Method get TypedArray.prototype.length called on incompatible receiver [object Float32Array]')).toMatch(/incidental/);
    expect(rule('RangeError', true, 'an argument of 0 elements where the call reads 8')).toMatch(/names no/);
    expect(rule('RangeError', true, 'shape: at most 2147483647 elements')).toMatch(/expected and what came/);
    expect(rule('String', false, 'x: expected 1, received 2')).toBe('not an Error');
  });
});
