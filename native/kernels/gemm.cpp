// the BLIS loops around the micro-kernels: NC columns of b packed into a panel, KC deep, MC rows of
// a packed into a block, then NR x MR tiles; packing zero-pads partial panels to MR and NR.
#include "gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "alloc_count.h"
#include "bf16.h"
#include "buffer.h"
#include "blocking.h"
#include "cpu.h"
#include "fpenv.h"
#include "gemm_arch.h"
#include "threads.h"

namespace ffnn {

template <>
const GemmArch<float>& gemm_arch<float>(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return gemm_arch_avx512_f32();
    case Isa::Avx2: return gemm_arch_avx2_f32();
    default: return gemm_arch_portable_f32();
  }
}

template <>
const GemmArch<double>& gemm_arch<double>(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return gemm_arch_avx512_f64();
    case Isa::Avx2: return gemm_arch_avx2_f64();
    default: return gemm_arch_portable_f64();
  }
}

namespace {

template <typename T>
struct Workspace {
  Buffer<T> a;
  Buffer<T> b;
};

template <typename T>
Workspace<T>& workspace() {
  thread_local Workspace<T> ws;
  return ws;
}

// op(a) rows [i0, i0 + mc), depth [p0, p0 + kc) into panels of MR rows: dst[panel][p][i]
template <typename T, int MR>
void pack_a_mr(bool trans, const T* a, std::int64_t M, std::int64_t K, std::int64_t i0,
               std::int64_t mc, std::int64_t p0, std::int64_t kc, T* dst) {
  for (std::int64_t ir = 0; ir < mc; ir += MR) {
    const std::int64_t mr = std::min<std::int64_t>(MR, mc - ir);
    T* d = dst + ir * kc;
    if (!trans) {
      // a is (M, K): MR rows read side by side
      const T* rows[MR];
      for (int i = 0; i < MR; ++i) rows[i] = a + (i0 + ir + (i < mr ? i : 0)) * K + p0;
      if (mr == MR) {
        for (std::int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
          for (int i = 0; i < MR; ++i) d[p * MR + i] = rows[i][p];
        }
      } else {
        for (std::int64_t p = 0; p < kc; ++p) {
          for (int i = 0; i < MR; ++i) d[p * MR + i] = i < mr ? rows[i][p] : T(0);
        }
      }
    } else {
      // a is (K, M): each k row holds MR consecutive elements
      const T* src = a + p0 * M + i0 + ir;
      if (mr == MR) {
        for (std::int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
          for (int i = 0; i < MR; ++i) d[p * MR + i] = src[p * M + i];
        }
      } else {
        for (std::int64_t p = 0; p < kc; ++p) {
          for (int i = 0; i < MR; ++i) d[p * MR + i] = i < mr ? src[p * M + i] : T(0);
        }
      }
    }
  }
}

// op(b) depth [p0, p0 + kc), columns [j0, j0 + nc) into slivers of NR columns: dst[sliver][p][j]
template <typename T, int NR>
void pack_b_nr(bool trans, const T* b, std::int64_t N, std::int64_t K, std::int64_t p0,
               std::int64_t kc, std::int64_t j0, std::int64_t nc, T* dst) {
  const std::int64_t ss = kc * NR;  // from one sliver to the next
  if (!trans) {
    // b is (K, N): row by row, each row's nc elements read front to back and dealt out to the
    // slivers. sliver by sliver, every row of a sliver starts a new 4 KiB page when N is 1024, and
    // the hardware prefetchers stop at page boundaries: 256 x 1024 x 1024 spent 17% of its time
    // packing that way (perf), 11% this way: one thread 168 -> 182-187 GFLOP/s, medians of 5 runs
    const std::int64_t nw = nc / NR * NR;
    for (std::int64_t p = 0; p < kc; ++p) {
      const T* src = b + (p0 + p) * N + j0;
      T* d = dst + p * NR;
      for (std::int64_t jr = 0; jr < nw; jr += NR, d += ss) std::memcpy(d, src + jr, NR * sizeof(T));
      if (nw < nc) {
        for (std::int64_t j = 0; j < NR; ++j) d[j] = nw + j < nc ? src[nw + j] : T(0);
      }
    }
    return;
  }
  for (std::int64_t jr = 0; jr < nc; jr += NR) {
    const std::int64_t nr = std::min<std::int64_t>(NR, nc - jr);
    T* d = dst + jr / NR * ss;
    // b is (N, K): column j of op(b) is row j of b, read contiguously, written with stride NR;
    // in steps of PB depth so the (PB, NR) piece of d being written stays in L1 (a whole
    // (kc, NR) sliver per column would be written NR times over from L2)
    constexpr std::int64_t PB = 16;
    const T* src0 = b + (j0 + jr) * K + p0;
    for (std::int64_t pb = 0; pb < kc; pb += PB) {
      const std::int64_t pe = std::min(kc, pb + PB);
#if defined(__SSE2__)
      if (std::is_same<T, float>::value && nr == NR && NR % 4 == 0 && pe - pb >= 4) {
        // 4 x 4 float transposes: 4 loads and 4 stores of 4 elements instead of 16 scalar moves;
        // the depth past the last whole 4 (a shallow product: K = 10 classes) by scalar moves
        const std::int64_t p4 = pb + (pe - pb) / 4 * 4;
        for (int j = 0; j < NR; ++j) {
          for (std::int64_t p = p4; p < pe; ++p) d[p * NR + j] = src0[j * K + p];
        }
        for (int j = 0; j < NR; j += 4) {
          const float* s0 = reinterpret_cast<const float*>(src0 + j * K);
          for (std::int64_t p = pb; p < p4; p += 4) {
            __m128 r0 = _mm_loadu_ps(s0 + p);
            __m128 r1 = _mm_loadu_ps(s0 + K + p);
            __m128 r2 = _mm_loadu_ps(s0 + 2 * K + p);
            __m128 r3 = _mm_loadu_ps(s0 + 3 * K + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float* dp = reinterpret_cast<float*>(d + p * NR + j);
            _mm_storeu_ps(dp, r0);
            _mm_storeu_ps(dp + NR, r1);
            _mm_storeu_ps(dp + 2 * NR, r2);
            _mm_storeu_ps(dp + 3 * NR, r3);
          }
        }
        continue;
      }
#endif
      for (int j = 0; j < NR; ++j) {
        if (j < nr) {
          const T* src = src0 + j * K;
          for (std::int64_t p = pb; p < pe; ++p) d[p * NR + j] = src[p];
        } else {
          for (std::int64_t p = pb; p < pe; ++p) d[p * NR + j] = T(0);
        }
      }
    }
  }
}

template <typename T>
void pack_a(int MR, bool trans, const T* a, std::int64_t M, std::int64_t K, std::int64_t i0,
            std::int64_t mc, std::int64_t p0, std::int64_t kc, T* dst) {
  switch (MR) {
    case 4: pack_a_mr<T, 4>(trans, a, M, K, i0, mc, p0, kc, dst); break;
    case 6: pack_a_mr<T, 6>(trans, a, M, K, i0, mc, p0, kc, dst); break;
    default: pack_a_mr<T, 8>(trans, a, M, K, i0, mc, p0, kc, dst); break;
  }
}

template <typename T>
void pack_b(int NR, bool trans, const T* b, std::int64_t N, std::int64_t K, std::int64_t p0,
            std::int64_t kc, std::int64_t j0, std::int64_t nc, T* dst) {
  switch (NR) {
    case 4: pack_b_nr<T, 4>(trans, b, N, K, p0, kc, j0, nc, dst); break;
    case 8: pack_b_nr<T, 8>(trans, b, N, K, p0, kc, j0, nc, dst); break;
    case 16: pack_b_nr<T, 16>(trans, b, N, K, p0, kc, j0, nc, dst); break;
    default: pack_b_nr<T, 32>(trans, b, N, K, p0, kc, j0, nc, dst); break;
  }
}

inline std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

template <typename T>
struct Problem {
  bool ta, tb;
  std::int64_t M, N, K;
  T alpha;
  const T* a;
  const T* b;
  T beta;
  T* c;
  const Epilogue<T>* epi;
  const RowsDone* done;  // rows handed on once final (then every call covers all N columns)
  const GemmArch<T>* arch;
  std::int64_t kc;  // the depth of every K block but the last: K split into equal blocks
  bool direct_b;    // b read in place for full slivers
  std::int64_t k0, k1;  // the depth computed here: whole K blocks [k0, k1), c := beta c at k0
};

// the whole loop nest over c rows [m0, m1) and columns [n0, n1), with this thread's buffers
template <typename T>
void gemm_rect(const Problem<T>& P, std::int64_t m0, std::int64_t m1, std::int64_t n0,
               std::int64_t n1) {
  const Blocking& bk = P.arch->blk;
  const int MR = bk.MR, NR = bk.NR;
  const MicroKernel<T> kernel = P.arch->kernel;
  Workspace<T>& ws = workspace<T>();
  T* abuf = ws.a.get(static_cast<std::size_t>(round_up(bk.MC, MR) * P.kc));
  T* bbuf = ws.b.get(static_cast<std::size_t>(round_up(P.direct_b ? NR : bk.NC, NR) * P.kc));
  const std::int64_t N = P.N;
  // with a rows callback and a shallow product, row blocks small enough that the rows just written
  // are still in L1 when the callback reads them
  std::int64_t MC = bk.MC;
  // rows are final after the last K block of their row block only when one column panel covers c
  const bool per_block = P.done && N <= bk.NC;
  if (per_block && P.K <= ROWS_DONE_SHALLOW_K) {
    MC = std::max<std::int64_t>(MR, std::min(bk.MC, ROWS_DONE_ELEMS / N / MR * MR));
  }
  for (std::int64_t jc = n0; jc < n1; jc += bk.NC) {
    const std::int64_t nc = std::min(bk.NC, n1 - jc);
    for (std::int64_t pc = P.k0; pc < P.k1; pc += P.kc) {
      const std::int64_t kc = std::min(P.kc, P.k1 - pc);
      const T beta = pc == P.k0 ? P.beta : T(1);
      const bool last = pc + kc == P.k1;
      // in place: every sliver when the path reads a partial one masked, else the full ones
      // (the partial one packed); packed: all of the panel
      if (P.M == 1 && !P.ta && P.tb && P.arch->kernel_m1_tb) {
        // one row of a (batch 1) against b transposed in place: dot products of contiguous rows
        T* ct = P.c + m0 * N + jc;
        P.arch->kernel_m1_tb(kc, P.alpha, P.a + m0 * P.K + pc, P.b + jc * P.K + pc, P.K, beta, ct, N, 1, nc);
        if (last && P.epi) P.epi->fn(P.epi->ctx, P.c, N, m0, jc, 1, nc);
        if (last && per_block) P.done->fn(P.done->ctx, m0, m1);
        continue;
      }
      const bool mb = P.direct_b && P.arch->kernel_mb;
      const std::int64_t nfull = mb ? nc : (P.direct_b ? nc / NR * NR : 0);
      if (nfull < nc) pack_b<T>(NR, P.tb, P.b, N, P.K, pc, kc, jc + nfull, nc - nfull, bbuf);
      if (m1 - m0 == 1 && !P.ta && mb && P.arch->kernel_m1_wide && P.arch->kernel_m1_mb) {
        // one row of a (batch 1) and b in place: M1_WIDE_NR columns per call
        const T* ar = P.a + m0 * P.K + pc;
        for (std::int64_t jr = 0; jr < nc;) {
          const bool wide = nc - jr >= M1_WIDE_NR;
          const std::int64_t nr = wide ? M1_WIDE_NR : std::min<std::int64_t>(NR, nc - jr);
          T* ct = P.c + m0 * N + jc + jr;
          const MicroKernel<T> k1 = wide ? P.arch->kernel_m1_wide
                                         : (nr < NR ? P.arch->kernel_m1_mb : P.arch->kernel_m1);
          k1(kc, P.alpha, ar, P.b + pc * N + jc + jr, N, beta, ct, N, 1, nr);
          if (last && P.epi) P.epi->fn(P.epi->ctx, P.c, N, m0, jc + jr, 1, nr);
          jr += nr;
        }
        if (last && per_block) P.done->fn(P.done->ctx, m0, m1);
        continue;
      }
      if (m1 - m0 == 1 && !P.ta && P.arch->kernel_m1 && (!mb || P.arch->kernel_m1_mb)) {
        // one row of a (batch 1): read in place, one row of accumulators
        const T* ar = P.a + m0 * P.K + pc;
        for (std::int64_t jr = 0; jr < nc; jr += NR) {
          const std::int64_t nr = std::min<std::int64_t>(NR, nc - jr);
          const bool direct = jr < nfull;
          const T* bp = direct ? P.b + pc * N + jc + jr : bbuf + (jr - nfull) * kc;
          T* ct = P.c + m0 * N + jc + jr;
          const MicroKernel<T> k1 = direct && nr < NR ? P.arch->kernel_m1_mb : P.arch->kernel_m1;
          k1(kc, P.alpha, ar, bp, direct ? N : NR, beta, ct, N, 1, nr);
          if (last && P.epi) P.epi->fn(P.epi->ctx, P.c, N, m0, jc + jr, 1, nr);
        }
        if (last && per_block) P.done->fn(P.done->ctx, m0, m1);
        continue;
      }
      for (std::int64_t ic = m0; ic < m1; ic += MC) {
        const std::int64_t mc = std::min(MC, m1 - ic);
        pack_a<T>(MR, P.ta, P.a, P.M, P.K, ic, mc, pc, kc, abuf);
        for (std::int64_t jr = 0; jr < nc; jr += NR) {
          const std::int64_t nr = std::min<std::int64_t>(NR, nc - jr);
          const T* bp;
          std::int64_t ldb;
          MicroKernel<T> k = kernel;
          // a partial sliver of at most half the columns: the half-width kernel where the path has one
          const bool half = 2 * nr <= NR;
          if (jr < nfull) {
            bp = P.b + pc * N + jc + jr;
            ldb = N;
            if (nr < NR) k = half && P.arch->kernel_half_mb ? P.arch->kernel_half_mb : P.arch->kernel_mb;
          } else {
            bp = bbuf + (jr - nfull) * kc;
            ldb = NR;
            if (half && P.arch->kernel_half) k = P.arch->kernel_half;
          }
          for (std::int64_t ir = 0; ir < mc; ir += MR) {
            const std::int64_t mr = std::min<std::int64_t>(MR, mc - ir);
            T* ct = P.c + (ic + ir) * N + jc + jr;
            k(kc, P.alpha, abuf + ir * kc, bp, ldb, beta, ct, N, mr, nr);
            if (last && P.epi) P.epi->fn(P.epi->ctx, P.c, N, ic + ir, jc + jr, mr, nr);
          }
        }
        if (last && per_block) P.done->fn(P.done->ctx, ic, ic + mc);
      }
    }
  }
  if (P.done && !per_block) P.done->fn(P.done->ctx, m0, m1);
}

// the i-th of n near-equal parts of [0, extent) cut on multiples of `unit`
inline std::int64_t split_point(std::int64_t extent, std::int64_t unit, int n, int i) {
  const std::int64_t tiles = (extent + unit - 1) / unit;
  return std::min(extent, tiles * i / n * unit);
}

// K cut into nk equal blocks of kc (the last may be shorter), the same for every thread count
template <typename T>
void k_blocks(std::int64_t K, std::int64_t* nk, std::int64_t* kc) {
  const std::int64_t KC = gemm_arch<T>(active_isa()).blk.KC;
  *nk = (K + KC - 1) / KC;
  *kc = (K + *nk - 1) / *nk;
}

// the start of part p of `parts` contiguous runs of whole K blocks (p = parts: K)
inline std::int64_t block_split(std::int64_t K, std::int64_t nk, std::int64_t kc, int parts,
                                int p) {
  return std::min(K, nk * p / parts * kc);
}

// the forward product of a layer split by depth: part p computes the partial products of its K
// blocks (c for block 0, scratch for the others), one part per pool thread, so each thread reads
// only its own rows of b (a contiguous run of the weights); then, on the caller, the partials are
// added in block order and the epilogue runs. the gemm adds block after block to c in exactly that
// way (c := acc for the first block, then c := 1 * acc + 1 * c), so the numbers are gemm's.
template <typename T>
void gemm_kparts(const Problem<T>& P, std::int64_t nk, int parts) {
  thread_local Buffer<T> scratch_buf;
  const std::int64_t MN = P.M * P.N;
  T* scratch = scratch_buf.get(static_cast<std::size_t>((nk - 1) * MN));
  parallel_for(parts, parts, [&](int p) {
    const std::int64_t b0 = nk * p / parts, b1 = nk * (p + 1) / parts;
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      Problem<T> Q = P;
      Q.k0 = blk * P.kc;
      Q.k1 = std::min(P.K, Q.k0 + P.kc);
      Q.c = blk == 0 ? P.c : scratch + (blk - 1) * MN;
      Q.beta = T(0);
      Q.epi = nullptr;
      gemm_rect(Q, 0, P.M, 0, P.N);
    }
  });
  for (std::int64_t blk = 1; blk < nk; ++blk) {
    const T* s = scratch + (blk - 1) * MN;
    T* c = P.c;
    for (std::int64_t i = 0; i < MN; ++i) c[i] = c[i] + s[i];
  }
  if (P.epi) P.epi->fn(P.epi->ctx, P.c, P.N, 0, 0, P.M, P.N);
}

// c's rows (by_rows) or columns split where a product of depth M (or N) with the same parts splits
// its K blocks (gemm_part_start): part p on pool thread p, which reads only those rows of op(a), or
// those rows of a transposed b (N, K); one block: the caller's thread alone
template <typename T>
void gemm_owned(const Problem<T>& P, bool by_rows, int parts) {
  const std::int64_t extent = by_rows ? P.M : P.N;
  std::int64_t nb, kc;
  k_blocks<T>(extent, &nb, &kc);
  const int n = static_cast<int>(std::min<std::int64_t>(parts, nb));
  if (n <= 1) {
    gemm_rect(P, 0, P.M, 0, P.N);
    return;
  }
  parallel_for(n, n, [&](int p) {
    const std::int64_t lo = block_split(extent, nb, kc, n, p);
    const std::int64_t hi = block_split(extent, nb, kc, n, p + 1);
    if (by_rows) gemm_rect(P, lo, hi, 0, P.N);
    else gemm_rect(P, 0, P.M, lo, hi);
  });
}

}  // namespace

template <typename T>
std::int64_t gemm_part_start(std::int64_t K, int parts, int p) {
  std::int64_t nk, kc;
  k_blocks<T>(K, &nk, &kc);
  if (parts > nk) parts = static_cast<int>(nk);
  if (p >= parts) return K;
  return block_split(K, nk, kc, parts, p);
}

namespace {

template <typename T>
void gemm_impl(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               T alpha, const T* a, const T* b, T beta, T* c, const Epilogue<T>* epi,
               const RowsDone* done, int parts);

// dst (cols, rows) := src (rows, cols) transposed
template <typename T>
void transpose(std::int64_t rows, std::int64_t cols, const T* src, T* dst) {
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
  }
}

// c (M, N) := alpha a^T b + beta c with a (K, M) tall and N narrow (a layer's grad_w = x^T gz for a
// classifier's OUT = 10), computed as c^T := alpha b^T a + beta c^T. the direct product packs all
// of a to fill 16-column tiles with 10; the transposed one has N <= GEMM_DIRECT_B_MAX_M rows, so it
// packs only the narrow b and reads a in place. every element is the same chain of fused
// multiply-adds over the same K blocks (fma(x, y, s) = fma(y, x, s)), and c^T starts as c's
// transpose so beta combines as before: the same numbers. `done` gets all rows once c is written
template <typename T>
void gemm_narrow_transposed(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a,
                            const T* b, T beta, T* c, const RowsDone* done) {
  thread_local Buffer<T> ct_buf;
  T* ct = ct_buf.get(static_cast<std::size_t>(M * N));
  if (beta != T(0)) transpose(M, N, c, ct);
  gemm_impl<T>(true, false, N, M, K, alpha, b, a, beta, ct, nullptr, nullptr, 0);
  transpose(N, M, ct, c);
  if (done) done->fn(done->ctx, 0, M);
}

template <typename T>
void gemm_impl(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               T alpha, const T* a, const T* b, T beta, T* c, const Epilogue<T>* epi,
               const RowsDone* done, int parts) {
  if (M <= 0 || N <= 0) return;
  FlushDenormals ftz;
  if (K <= 0 || alpha == T(0)) {
    // no products: c := beta c (beta 0 overwrites, so NaN or Inf in c does not leak)
    const std::int64_t MN = M * N;
    if (beta == T(0)) {
      std::fill(c, c + MN, T(0));
    } else if (beta != T(1)) {
      for (std::int64_t i = 0; i < MN; ++i) c[i] *= beta;
    }
    if (epi) epi->fn(epi->ctx, c, N, 0, 0, M, N);
    if (done) done->fn(done->ctx, 0, M);
    return;
  }
  if (trans_a && !trans_b && !epi && parts < 1 && N <= GEMM_NARROW_N && M > GEMM_NARROW_N &&
      M * K >= GEMM_NARROW_MIN_MK && M * N <= GEMM_NARROW_MAX_MN) {
    gemm_narrow_transposed(M, N, K, alpha, a, b, beta, c, done);
    return;
  }
  Problem<T> P{trans_a, trans_b, M, N, K, alpha, a, b, beta, c, epi, done, nullptr, 0, false, 0, K};
  P.arch = &gemm_arch<T>(active_isa());
  std::int64_t nk;
  k_blocks<T>(K, &nk, &P.kc);
  P.direct_b = !trans_b && M <= GEMM_DIRECT_B_MAX_M;

  if (parts >= 1) {
    if (done) {
      // grad_w's rows: the weight rows of the layer's forward product on that thread
      gemm_owned(P, true, parts);
      return;
    }
    if (trans_b) {
      // grad_x = gz w^T: the columns of the weight rows that thread owns. measured on
      // 784-256-128-10 at batch 64: the 256 x 128 layer's grad_x had split its columns by tiles,
      // the other core's reads of w then cost the update of w 22 us a step to take its lines back,
      // and the next activation backward 10 us to fetch that core's half of grad_x
      gemm_owned(P, false, parts);
      return;
    }
    const int n = static_cast<int>(std::min<std::int64_t>(parts, nk));
    if (n <= 1 || trans_a || alpha != T(1) || beta != T(0)) {
      gemm_rect(P, 0, M, 0, N);
      return;
    }
    gemm_kparts(P, nk, n);
    return;
  }
  int threads = get_num_threads();
  // the blocks callback (an update) is not counted: on one thread it reads w and grad_w from this
  // core's caches, split it would move them between cores (measured slower at batch 1 and 16)
  if (M * N * K < GEMM_PARALLEL_MIN_MACS) threads = 1;
  // split the larger of M and N: the other operand is packed again by every thread; M only with a
  // blocks callback (each thread's rows then span all columns)
  const bool split_n = !done && N >= M;
  const std::int64_t extent = split_n ? N : M;
  const std::int64_t unit = split_n ? P.arch->blk.NR : P.arch->blk.MR;
  const std::int64_t tiles = (extent + unit - 1) / unit;
  if (threads > tiles) threads = static_cast<int>(tiles);
  if (threads <= 1) {
    gemm_rect(P, 0, M, 0, N);
    return;
  }
  const int nparts = threads;
  parallel_for(nparts, threads, [&](int t) {
    const std::int64_t lo = split_point(extent, unit, nparts, t);
    const std::int64_t hi = split_point(extent, unit, nparts, t + 1);
    if (lo >= hi) return;
    if (split_n) gemm_rect(P, 0, M, lo, hi);
    else gemm_rect(P, lo, hi, 0, N);
  });
}

}  // namespace

template <typename T>
void gemm_epilogue(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                   T alpha, const T* a, const T* b, T beta, T* c, const Epilogue<T>* epi,
                   int parts) {
  gemm_impl<T>(trans_a, trans_b, M, N, K, alpha, a, b, beta, c, epi, nullptr, parts);
}

template <typename T>
void gemm_rows_done(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                    T alpha, const T* a, const T* b, T beta, T* c, const RowsDone* done,
                    int parts) {
  gemm_impl<T>(trans_a, trans_b, M, N, K, alpha, a, b, beta, c, nullptr, done, parts);
}

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* a, const T* b, T beta, T* c) {
  gemm_epilogue<T>(trans_a, trans_b, M, N, K, alpha, a, b, beta, c, nullptr, 0);
}

void gemm_bf16(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               float alpha, const float* a, const float* b, float beta, float* c,
               const Epilogue<float>* epi, const RowsDone* done, int parts) {
  if (M <= 0 || N <= 0) return;
  const Bf16Isa isa = active_bf16_isa();
  const Bf16Arch* arch = isa == Bf16Isa::Amx          ? bf16_arch_amx()
                         : isa == Bf16Isa::Avx512Bf16 ? bf16_arch_avx512bf16()
                                                      : nullptr;
  if (arch && K > 0 && alpha != 0.0f) {
    FlushDenormals ftz;
    gemm_bf16_tiles(*arch, trans_a, trans_b, M, N, K, alpha, a, b, beta, c, epi, done);
    return;
  }
  // portable: the operands rounded once into this thread's copies (their layout kept), then the
  // float32 gemm, whose products of bf16 values are exact
  thread_local Buffer<float> ra, rb;
  float* qa = ra.get(static_cast<std::size_t>(std::max<std::int64_t>(M * K, 1)));
  float* qb = rb.get(static_cast<std::size_t>(std::max<std::int64_t>(K * N, 1)));
  for (std::int64_t i = 0; i < M * K; ++i) qa[i] = round_bf16(a[i]);
  for (std::int64_t i = 0; i < K * N; ++i) qb[i] = round_bf16(b[i]);
  gemm_impl<float>(trans_a, trans_b, M, N, K, alpha, qa, qb, beta, c, epi, done, parts);
}

template std::int64_t gemm_part_start<float>(std::int64_t, int, int);
template std::int64_t gemm_part_start<double>(std::int64_t, int, int);
template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                          const float*, const float*, float, float*);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                           const double*, const double*, double, double*);
template void gemm_epilogue<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                                   const float*, const float*, float, float*,
                                   const Epilogue<float>*, int);
template void gemm_rows_done<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                                    const float*, const float*, float, float*, const RowsDone*, int);
template void gemm_rows_done<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                     const double*, const double*, double, double*,
                                     const RowsDone*, int);
template void gemm_epilogue<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                    const double*, const double*, double, double*,
                                    const Epilogue<double>*, int);

}  // namespace ffnn
