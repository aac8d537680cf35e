// bfloat16 rounding and the packed layouts of the bf16 products; no Node headers.
// round_bf16 is static (internal linkage in every file that includes it), so the copy compiled
// with wide instructions can never be the one the linker keeps for baseline code.
#pragma once

#include <cstdint>
#include <cstring>

namespace ffnn {

// the bf16 nearest to x, ties to even, as its 16 bits: NaN stays NaN (quiet, sign kept), float32
// subnormals become a signed zero; what vcvtne2ps2bf16 computes (src/kernels/reference/bf16.ts)
static inline std::uint16_t round_bf16_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  // selects rather than branches, so the portable path's rounding loop vectorizes. Inf rounds to
  // itself through the general case (its low bits are 0); a carry past the largest bf16 gives Inf
  const std::uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
  const std::uint32_t quiet = u | 0x400000u;
  const std::uint32_t zero = u & 0x80000000u;
  const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
  const bool subnormal = (u & 0x7f800000u) == 0;
  const std::uint32_t r = nan ? quiet : subnormal ? zero : rounded;
  return static_cast<std::uint16_t>(r >> 16);
}

// x rounded to bf16, as the float32 of that value
static inline float round_bf16(float x) {
  const std::uint32_t u = static_cast<std::uint32_t>(round_bf16_bits(x)) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// the packed operands of the bf16 tile paths (avx512bf16, amx):
// a: op(a) rows as (Mp, Kp) bf16, row-major, Mp a multiple of the path's MR, zero-padded;
// b: op(b) in slivers of BF16_SLIVER columns, sliver s at b + s * Kp * BF16_SLIVER, its element
// (k, j) at [k / 2][j][k % 2]: each k pair of a column is one 32-bit lane of vdpbf16ps and one
// 4-byte element of a tdpbf16ps b tile row; past K and past N zero.
// Kp is K rounded up to BF16_KP, the depth of one amx tile (16 rows x 32 bf16 = 64 bytes)
constexpr int BF16_KP = 32;
constexpr int BF16_SLIVER = 16;

// one tile path: the register (or amx) tile, its packing and its kernel
struct Bf16Arch {
  int MR;
  int NR;  // a multiple of BF16_SLIVER
  // op(a) rows [i0, i0 + mc) into dst ((round_up(mc, MR), Kp)), zero-padded past M and K
  void (*pack_a)(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
                 std::int64_t mc, std::int64_t Kp, std::uint16_t* dst);
  // op(b) slivers [s0, s1) into dst (sliver s at dst + (s - s0) * Kp * BF16_SLIVER)
  void (*pack_b)(bool trans, const float* b, std::int64_t K, std::int64_t N, std::int64_t s0,
                 std::int64_t s1, std::int64_t Kp, std::uint16_t* dst);
  // c (mr, nr) with row stride ldc := alpha acc + beta c (beta 0: c written, never read), acc the
  // (MR, NR) sums over Kp of a (MR rows at stride Kp) times NR / 16 slivers of b (the first at b,
  // the next ones sliver_stride elements on), float32 accumulation; mr <= MR, nr <= NR
  void (*kernel)(std::int64_t Kp, const std::uint16_t* a, const std::uint16_t* b,
                 std::int64_t sliver_stride, float alpha, float beta, float* c, std::int64_t ldc,
                 std::int64_t mr, std::int64_t nr);
  // once per thread and call before its first kernel (the amx tile configuration), or null
  void (*begin)();
};

struct RowsDone;
template <typename T>
struct Epilogue;

// c (M, N) := alpha op(a) op(b) + beta c on a tile path (gemm_bf16.cpp): both operands packed to
// bf16 once per call, then each (MR, NR) tile of c summed over all of K at once and written
// (epilogue on it right after), so every element is the same sum whatever the threads; with
// `done`, the threads split the rows and each calls it on its own rows once they are written. K > 0, alpha != 0
void gemm_bf16_tiles(const Bf16Arch& arch, bool trans_a, bool trans_b, std::int64_t M,
                     std::int64_t N, std::int64_t K, float alpha, const float* a, const float* b,
                     float beta, float* c, const Epilogue<float>* epi, const RowsDone* done);

// the table of a tile path (the cpu must support it); null for portable
const Bf16Arch* bf16_arch_avx512bf16();
const Bf16Arch* bf16_arch_amx();

}  // namespace ffnn
