// what the numbers were measured on
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

// a field of /proc/cpuinfo's first cpu ('' where it cannot be read or is absent)
function cpuinfo(field) {
  try {
    return new RegExp(`^${field}\\s*:\\s*(.*)$`, 'm').exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

// the cpu's flags (empty where /proc/cpuinfo cannot be read)
export function cpuFlags() {
  return cpuinfo('flags').split(' ').filter((f) => f !== '');
}

// "AuthenticAMD", "GenuineIntel", or ''
export function cpuVendor() {
  return cpuinfo('vendor_id');
}

export function cpuModel() {
  const model = cpuinfo('model name');
  if (model === '') return 'unknown';
  const flags = cpuFlags();
  const simd = ['avx512f', 'avx2', 'fma'].filter((f) => flags.includes(f));
  return `${model} (${simd.join(', ') || 'no avx'})`;
}

export function machine(ffnn) {
  const b = ffnn.backendInfo('native');
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    node: process.version,
    backend: `${b.backend}: ${b.isa} (bf16 products: ${b.bf16Isa ?? 'n/a'}), ${b.threads} threads by default, ${b.compiler}`,
  };
}

export function load() {
  return loadavg().map((v) => v.toFixed(2)).join(' / ');
}
