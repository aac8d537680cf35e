// FFNN_ISA forces the bf16 path as it forces the float32 one: amx and avx512bf16 choose that bf16
// path (the float32 path stays the best one); avx512, avx2 and portable choose that float32 path and
// the portable bf16 path; a path this cpu lacks falls back with a note. each case in a fresh process
// (FFNN_ISA is read once), on the compiled library
import { describe, expect, it } from 'vitest';
import { runSnippet } from '../helpers/child.js';

const skip = process.env.FFNN_SKIP_NATIVE === '1';
const { nativeAddon } = await import('../../src/kernels/native.js');
const addon = skip ? null : nativeAddon();
const BF16: string[] = addon ? addon.supportedBf16Isas() : [];
const F32: string[] = addon ? addon.supportedIsas() : [];

async function infoWith(isa: string): Promise<{ isa: string; bf16Isa: string; isaNote?: string }> {
  const r = await runSnippet("process.stdout.write(JSON.stringify(ffnn.backendInfo('native')));", { env: { FFNN_ISA: isa } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.skipIf(skip)('FFNN_ISA and the bf16 path', () => {
  it('amx and avx512bf16 force that bf16 path where the cpu has it, else say why', async () => {
    for (const p of ['amx', 'avx512bf16']) {
      const info = await infoWith(p);
      if (BF16.includes(p)) {
        expect(info.bf16Isa).toBe(p);
        expect(info.isa).toBe(F32[0]);
        expect(info.isaNote).toBeUndefined();
      } else {
        expect(info.bf16Isa).toBe(BF16[0]);
        expect(info.isaNote).toMatch(new RegExp(`FFNN_ISA=${p} is not supported by this cpu`));
      }
    }
  });

  it('a float32 path forces the portable bf16 path; an unknown name is a note', async () => {
    for (const p of F32) {
      const info = await infoWith(p);
      expect(info.isa).toBe(p);
      expect(info.bf16Isa).toBe('portable');
    }
    const bad = await infoWith('neon');
    expect(bad.isaNote).toMatch(/FFNN_ISA=neon is not avx512, avx2, portable, amx or avx512bf16/);
    expect(bad.bf16Isa).toBe(BF16[0]);
  });
});
