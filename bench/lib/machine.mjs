// what the numbers were measured on
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

// the cpu's flags from /proc/cpuinfo (empty where it cannot be read)
export function cpuFlags() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^flags\s*:\s*(.*)$/m.exec(info)?.[1].split(' ') ?? [];
  } catch {
    return [];
  }
}

// "AuthenticAMD", "GenuineIntel", or '' where /proc/cpuinfo cannot be read
export function cpuVendor() {
  try {
    return /^vendor_id\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

export function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? 'unknown';
    const flags = cpuFlags();
    const simd = ['avx512f', 'avx2', 'fma'].filter((f) => flags.includes(f));
    return `${model} (${simd.join(', ') || 'no avx'})`;
  } catch {
    return 'unknown';
  }
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
