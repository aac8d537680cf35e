// the micro-kernels of each instruction set, behind one table; no Node headers.
// each path lives in its own file compiled with only its own SIMD flags (gemm_avx512.cpp,
// gemm_avx2.cpp, gemm_portable.cpp); everything in those files has internal linkage and uses
// no std templates, so no inline function compiled with wide instructions can be picked by the
// linker for code that runs on a cpu without them.
#pragma once

#include <cstdint>

#include "blocking.h"
#include "cpu.h"

namespace ffnn {

// the BLIS micro-kernel contract on one MR x NR tile:
// a is a packed (kc, MR) panel, a[p * MR + i], rows past the matrix zero-padded;
// b is (kc, NR) with row stride ldb, b[p * ldb + j]: a packed zero-padded panel (ldb = NR) or
// the matrix itself when all NR columns exist;
// c is (mr, nr) with row stride ldc, mr <= MR, nr <= NR; only those elements are touched.
// c := beta c + alpha a b, as fma(alpha, acc, beta c) on the fma paths; when beta is 0, c is
// written and never read. every element's sum runs over p in order, whatever mr and nr are.
template <typename T>
using MicroKernel = void (*)(std::int64_t kc, T alpha, const T* a, const T* b, std::int64_t ldb,
                             T beta, T* c, std::int64_t ldc, std::int64_t mr, std::int64_t nr);

template <typename T>
struct GemmArch {
  Blocking blk;
  MicroKernel<T> kernel;
  // the same contract with MR = 1 (a is (kc) contiguous, mr = 1), or null: the single row of a
  // batch-1 product without the MR - 1 zero rows of the packed tile (the same numbers per element)
  MicroKernel<T> kernel_m1;
  // kernel and kernel_m1 with b read in place, its row of NR elements loaded masked to the nr that
  // exist (no element past column nr is read), or null: the partial column sliver of a product
  // that reads b in place, which otherwise is packed (zero-padded to NR) at every call: the 10
  // outputs of a classifier layer (a 256 x 32 panel written for 10 columns)
  MicroKernel<T> kernel_mb;
  MicroKernel<T> kernel_m1_mb;
  // one row of a against M1_WIDE_NR whole columns of b read in place, or null: a batch-1 product
  // with 4 times the independent accumulators of kernel_m1 (whose 2 are bound by the fma latency:
  // 1 x 784 x 256 ran at 29 GFLOP/s); the columns past the last whole M1_WIDE_NR go to kernel_m1_mb
  MicroKernel<T> kernel_m1_wide;
  // kernel and kernel_mb over the first NR / 2 columns only (nr <= NR / 2), or null: a partial
  // column sliver at half the multiply-adds of a full tile (the 10 outputs of a classifier layer,
  // the last 4 columns of N = 100); each element's sum is the same operations in the same order
  MicroKernel<T> kernel_half;
  MicroKernel<T> kernel_half_mb;
  // one row of a against b transposed, read in place (b is (nr, kc) with row stride ldb: nr rows of
  // b^T's columns), or null: a batch-1 d loss / d x (gz w^T), which otherwise packs all of w
  // transposed at every call (1 x 784 x 256: 89 us against 10 for the same product untransposed).
  // each element is a dot product of contiguous rows in vector lanes, reduced in a fixed order:
  // its own numbers (not kernel_m1's chain), the same whatever nr, the columns around it or the
  // thread count. a and ldb as the contract above with mr = 1 and ldc unused
  MicroKernel<T> kernel_m1_tb = nullptr;
};

// the columns of one kernel_m1_wide call
constexpr int M1_WIDE_NR = 128;

const GemmArch<float>& gemm_arch_avx512_f32();
const GemmArch<double>& gemm_arch_avx512_f64();
const GemmArch<float>& gemm_arch_avx2_f32();
const GemmArch<double>& gemm_arch_avx2_f64();
const GemmArch<float>& gemm_arch_portable_f32();
const GemmArch<double>& gemm_arch_portable_f64();

// the table of a path (which must be supported by this cpu)
template <typename T>
const GemmArch<T>& gemm_arch(Isa isa);

}  // namespace ffnn
