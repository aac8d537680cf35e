// the amx path: a 32 x 32 tile of c as four 16 x 16 float32 tiles, two 16-row tiles of a and two
// 16-pair tiles of b per 32 of depth, four tdpbf16ps; compiled with -mamx-tile -mamx-bf16 for this
// file only, called only when cpu.cpp says the cpu has amx and the kernel granted the tile data.
// the packing is the avx-512 bf16 file's (every amx cpu has avx512_bf16). internal linkage only
#include "bf16.h"

#if defined(__x86_64__) && defined(__AMX_TILE__) && defined(__AMX_BF16__)

#include <immintrin.h>

namespace ffnn {

void bf16_pack_a32(bool trans, const float* a, std::int64_t M, std::int64_t K, std::int64_t i0,
                   std::int64_t mc, std::int64_t Kp, std::uint16_t* dst);
void bf16_pack_b(bool trans, const float* b, std::int64_t K, std::int64_t N, std::int64_t s0,
                 std::int64_t s1, std::int64_t Kp, std::uint16_t* dst);
void bf16_store_tile(const float* acc, std::int64_t lda, float alpha, float beta, float* c,
                     std::int64_t ldc, std::int64_t mr, std::int64_t nr);

namespace {

// palette 1: tiles 0-3 c (16 rows of 16 floats), 4-5 a (16 rows of 32 bf16), 6-7 b (16 k pairs of
// 16 columns); every tile 16 rows of 64 bytes
struct alignas(64) TileConfig {
  std::uint8_t palette_id;
  std::uint8_t start_row;
  std::uint8_t reserved[14];
  std::uint16_t colsb[16];
  std::uint8_t rows[16];
};

// loaded once per thread: nothing else in the process configures tiles on the pool's threads
void begin() {
  thread_local bool configured = false;
  if (configured) return;
  TileConfig cfg{};
  cfg.palette_id = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  // not _tile_loadconfig: gcc 12's asm for it names only 8 bytes of the config as read, so the
  // stores of colsb and rows were dropped as dead (ldtilecfg then faulted on the garbage)
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
  configured = true;
}

constexpr int MR = 32;
constexpr int NR = 32;

void kernel(std::int64_t Kp, const std::uint16_t* a, const std::uint16_t* b,
            std::int64_t sliver_stride, float alpha, float beta, float* c, std::int64_t ldc,
            std::int64_t mr, std::int64_t nr) {
  alignas(64) float acc[MR * NR];
  // gcc's tileloadd asm names no memory operand: the packed operands must be written before here
  __asm__ volatile("" ::: "memory");
  const std::int64_t lda = Kp * 2;  // bytes per packed row of a
  const std::uint16_t* a1 = a + 16 * Kp;
  const std::uint16_t* b1 = b + sliver_stride;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (std::int64_t k = 0; k < Kp; k += BF16_KP) {
    _tile_loadd(4, a + k, lda);
    _tile_loadd(5, a1 + k, lda);
    _tile_loadd(6, b + k * BF16_SLIVER, 64);
    _tile_loadd(7, b1 + k * BF16_SLIVER, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  if (alpha == 1.0f && beta == 0.0f && mr == MR && nr == NR) {
    // a whole tile of c, stored: the sums straight into c (1 * acc is acc: tdpbf16ps gives no
    // subnormal for a flush-to-zero multiply to change), without the round trip through acc
    const std::int64_t ldb = ldc * 4;
    _tile_stored(0, c, ldb);
    _tile_stored(1, c + 16, ldb);
    _tile_stored(2, c + 16 * ldc, ldb);
    _tile_stored(3, c + 16 * ldc + 16, ldb);
    // gcc's tilestored asm names no memory operand either: c is read after this
    __asm__ volatile("" ::: "memory");
    return;
  }
  _tile_stored(0, acc, NR * 4);
  _tile_stored(1, acc + 16, NR * 4);
  _tile_stored(2, acc + 16 * NR, NR * 4);
  _tile_stored(3, acc + 16 * NR + 16, NR * 4);
  bf16_store_tile(acc, NR, alpha, beta, c, ldc, mr, nr);
}

const Bf16Arch ARCH{MR, NR, bf16_pack_a32, bf16_pack_b, kernel, begin};

}  // namespace

const Bf16Arch* bf16_arch_amx() { return &ARCH; }

}  // namespace ffnn

#else

namespace ffnn {
const Bf16Arch* bf16_arch_amx() { return nullptr; }
}  // namespace ffnn

#endif
