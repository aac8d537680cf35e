// the loops around the bf16 tile kernels (avx512bf16, amx): pack both operands to bf16, then
// tiles of c over all of K; compiled with no SIMD flags, the kernels reached through Bf16Arch
#include <algorithm>
#include <cstddef>

#include "bf16.h"
#include "blocking.h"
#include "buffer.h"
#include "gemm.h"
#include "threads.h"

namespace ffnn {

namespace {

std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

// the i-th of n near-equal parts of [0, tiles) in tiles
std::int64_t part(std::int64_t tiles, int n, int i) { return tiles * i / n; }

}  // namespace

void gemm_bf16_tiles(const Bf16Arch& arch, bool trans_a, bool trans_b, std::int64_t M,
                     std::int64_t N, std::int64_t K, float alpha, const float* a, const float* b,
                     float beta, float* c, const Epilogue<float>* epi, const RowsDone* done) {
  thread_local Buffer<std::uint16_t> abuf, bbuf;
  const int MR = arch.MR, NR = arch.NR;
  const std::int64_t Kp = round_up(K, BF16_KP);
  const std::int64_t Mp = round_up(M, MR);
  const std::int64_t slivers = round_up((N + BF16_SLIVER - 1) / BF16_SLIVER, NR / BF16_SLIVER);
  const std::int64_t sliver_len = Kp * BF16_SLIVER;
  std::uint16_t* pa = abuf.get(static_cast<std::size_t>(Mp * Kp));
  std::uint16_t* pb = bbuf.get(static_cast<std::size_t>(slivers * sliver_len));
  const std::int64_t mtiles = Mp / MR, ntiles = slivers * BF16_SLIVER / NR;

  int threads = get_num_threads();
  if (M * N * K < GEMM_PARALLEL_MIN_MACS) threads = 1;
  const int per_thread = threads > 1 ? BF16_TASKS_PER_THREAD : 1;
  // pack: rows of a and slivers of b split among the threads (each operand converted once)
  const std::int64_t pack_units = std::max(mtiles, slivers);
  const int pack_tasks = static_cast<int>(std::min<std::int64_t>(threads * per_thread, pack_units));
  parallel_for(pack_tasks, threads, [&](int t) {
    const std::int64_t r0 = part(mtiles, pack_tasks, t), r1 = part(mtiles, pack_tasks, t + 1);
    if (r1 > r0) {
      const std::int64_t i0 = r0 * MR, mc = std::min(M, r1 * MR) - i0;
      if (mc > 0) arch.pack_a(trans_a, a, M, K, i0, mc, Kp, pa + i0 * Kp);
      // rows padded past M (when mc < r1 * MR - i0 they were written as zeros by pack_a)
    }
    const std::int64_t s0 = part(slivers, pack_tasks, t), s1 = part(slivers, pack_tasks, t + 1);
    if (s1 > s0) arch.pack_b(trans_b, b, K, N, s0, s1, Kp, pb + s0 * sliver_len);
  });

  // compute: the larger of the tile rows and tile columns split (rows only with `done`: each thread
  // then finishes whole rows and runs `done` on them itself, so an update of w is split as its
  // product; on the calling thread alone it had left W4's 2-thread step waiting on one core for the
  // SGD pass over 1024 x 1024 weights); columns in blocks of BF16_NC_TILES so a block of b
  // (BF16_NC_TILES x NR x Kp bf16) is reused from L2 by every row tile
  const bool split_n = !done && ntiles >= mtiles;
  const std::int64_t extent = split_n ? ntiles : mtiles;
  const int n = static_cast<int>(std::min<std::int64_t>(threads * per_thread, extent));
  parallel_for(n, threads, [&](int t) {
    const std::int64_t lo = part(extent, n, t), hi = part(extent, n, t + 1);
    if (lo >= hi) return;
    const std::int64_t it0 = split_n ? 0 : lo, it1 = split_n ? mtiles : hi;
    const std::int64_t jt0 = split_n ? lo : 0, jt1 = split_n ? hi : ntiles;
    if (arch.begin) arch.begin();
    for (std::int64_t jb = jt0; jb < jt1; jb += BF16_NC_TILES) {
      const std::int64_t jb1 = std::min(jt1, jb + BF16_NC_TILES);
      for (std::int64_t it = it0; it < it1; ++it) {
        const std::int64_t i0 = it * MR;
        const std::int64_t mr = std::min<std::int64_t>(MR, M - i0);
        for (std::int64_t jt = jb; jt < jb1; ++jt) {
          const std::int64_t j0 = jt * NR;
          const std::int64_t nr = std::min<std::int64_t>(NR, N - j0);
          if (nr <= 0) continue;
          arch.kernel(Kp, pa + i0 * Kp, pb + (j0 / BF16_SLIVER) * sliver_len, sliver_len, alpha,
                      beta, c + i0 * N + j0, N, mr, nr);
          if (epi) epi->fn(epi->ctx, c, N, i0, j0, mr, nr);
        }
      }
    }
    if (done) done->fn(done->ctx, it0 * MR, std::min(M, it1 * MR));
  });
}

}  // namespace ffnn
