#include "linear.h"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "activation.h"
#include "activation_math.h"
#include "alloc_count.h"
#include "blocking.h"
#include "fpenv.h"
#include "gemm.h"
#include "threads.h"

namespace ffnn {

namespace {

template <typename T>
struct ForwardCtx {
  const T* bias;
  int act;
  double param;
  T* pre;
  const T* mul;  // or null
};

// y tile := act(y + bias) (times mul when MUL) with pre := y + bias, element by element as bias_act
// does; ACT fixed at compile time so identity and relu vectorize
template <typename T, int ACT, bool MUL>
void forward_tile(const void* vctx, T* c, std::int64_t ldc, std::int64_t i0, std::int64_t j0,
                  std::int64_t mr, std::int64_t nr) {
  const auto& k = *static_cast<const ForwardCtx<T>*>(vctx);
  for (std::int64_t i = i0; i < i0 + mr; ++i) {
    T* row = c + i * ldc;
    T* pre = k.pre ? k.pre + i * ldc : nullptr;
    const T* mul = MUL ? k.mul + i * ldc : nullptr;
    for (std::int64_t j = j0; j < j0 + nr; ++j) {
      const T z = k.bias ? static_cast<T>(row[j] + k.bias[j]) : row[j];
      if (pre) pre[j] = z;
      if (ACT == ACT_IDENTITY) {
        row[j] = z;
      } else if (ACT == ACT_RELU) {
        // as act::relu: NaN stays NaN, -0 becomes 0
        row[j] = z > T(0) ? z : (z == z ? T(0) : z);
      } else {
        row[j] = static_cast<T>(act::forward(ACT, static_cast<double>(z), k.param));
      }
      // the product a separate pass y * mul would make (dropout_backward's), on the tile in L1
      if (MUL) row[j] = row[j] * mul[j];
    }
  }
}

template <typename T, bool MUL>
Epilogue<T> forward_epilogue_mul(int act, const ForwardCtx<T>* ctx) {
  switch (act) {
    case ACT_IDENTITY: return {forward_tile<T, ACT_IDENTITY, MUL>, ctx};
    case ACT_RELU: return {forward_tile<T, ACT_RELU, MUL>, ctx};
    case ACT_SIGMOID: return {forward_tile<T, ACT_SIGMOID, MUL>, ctx};
    case ACT_TANH: return {forward_tile<T, ACT_TANH, MUL>, ctx};
    case ACT_SWISH: return {forward_tile<T, ACT_SWISH, MUL>, ctx};
    default: return {forward_tile<T, ACT_CELU, MUL>, ctx};
  }
}

template <typename T>
Epilogue<T> forward_epilogue(int act, const ForwardCtx<T>* ctx) {
  return ctx->mul ? forward_epilogue_mul<T, true>(act, ctx) : forward_epilogue_mul<T, false>(act, ctx);
}

// c tile := c * mul (mul has c's row length): a dropout's mask on grad_x as each tile is final
template <typename T>
void mul_tile(const void* vctx, T* c, std::int64_t ldc, std::int64_t i0, std::int64_t j0,
              std::int64_t mr, std::int64_t nr) {
  const T* mul = static_cast<const T*>(vctx);
  for (std::int64_t i = i0; i < i0 + mr; ++i) {
    T* row = c + i * ldc;
    const T* m = mul + i * ldc;
    for (std::int64_t j = j0; j < j0 + nr; ++j) row[j] = row[j] * m[j];
  }
}

// rows [r0, r1): grad_z := grad_out * act'(z); colsum[j] += grad_z (double), returns the param sum
template <typename T, int ACT>
double backward_rows(std::int64_t r0, std::int64_t r1, std::int64_t N, const T* z,
                     const T* grad_out, double param, T* grad_z, double* colsum) {
  double dparam = 0.0;
  for (std::int64_t i = r0; i < r1; ++i) {
    const std::int64_t row = i * N;
    for (std::int64_t j = 0; j < N; ++j) {
      // read before the write: grad_z may be grad_out or z
      const double go = static_cast<double>(grad_out[row + j]);
      const double zz = static_cast<double>(z[row + j]);
      T gi;
      if (ACT == ACT_IDENTITY) {
        gi = static_cast<T>(go * 1.0);
      } else if (ACT == ACT_RELU) {
        gi = static_cast<T>(go * (zz > 0 ? 1.0 : 0.0));
      } else {
        const act::Deriv d = act::derivative(ACT, zz, param);
        gi = static_cast<T>(go * d.dx);
        if (ACT == ACT_SWISH || ACT == ACT_CELU) dparam += go * d.dp;
      }
      grad_z[row + j] = gi;
      if (colsum) colsum[j] += static_cast<double>(gi);
    }
  }
  return dparam;
}

// relu's d loss / d z for columns [0, n4) of one row, n4 = N rounded down to 4: go where z > 0, else
// go * 0 (the scalar loops' select and its signed zero or NaN), the column sums in double as they do.
// gcc turns the scalar select back into a branch, which mispredicts on half the elements of a random
// mask: sse2 (baseline x86-64) by hand, 4 at a time (a Sequential's ReLU module at 512 x 256, W5: 0.63
// ms of a 5.8 ms step on the branch). gr may be gor (written over), never z; returns n4
template <typename T, bool SUM>
std::int64_t relu_row_sse2(std::int64_t N, const T* zr, const T* gor, T* gr, double* colsum) {
#if defined(__SSE2__)
  if constexpr (std::is_same<T, float>::value) {
    const __m128 zero = _mm_setzero_ps();
    std::int64_t j = 0;
    for (; j + 4 <= N; j += 4) {
      const __m128 go = _mm_loadu_ps(gor + j);
      const __m128 keep = _mm_cmpgt_ps(_mm_loadu_ps(zr + j), zero);
      const __m128 gi = _mm_or_ps(_mm_and_ps(keep, go), _mm_andnot_ps(keep, _mm_mul_ps(go, zero)));
      _mm_storeu_ps(gr + j, gi);
      if (SUM) {
        double* cs = colsum + j;
        _mm_storeu_pd(cs, _mm_add_pd(_mm_loadu_pd(cs), _mm_cvtps_pd(gi)));
        _mm_storeu_pd(cs + 2, _mm_add_pd(_mm_loadu_pd(cs + 2), _mm_cvtps_pd(_mm_movehl_ps(gi, gi))));
      }
    }
    return j;
  }
#endif
  (void)N, (void)zr, (void)gor, (void)gr, (void)colsum;
  return 0;
}

// identity and relu without aliasing between the arrays, so the loop vectorizes: the same numbers
// per element as backward_rows (the column sum in double, in row order). g is grad_out, written over
// with grad_z; z is read only for relu
template <typename T, int ACT, bool SUM>
void simple_rows_inout(std::int64_t r0, std::int64_t r1, std::int64_t N, const T* __restrict z,
                       T* __restrict g, double* __restrict colsum) {
  for (std::int64_t i = r0; i < r1; ++i) {
    const T* zr = z + i * N;
    T* gr = g + i * N;
    const std::int64_t j0 = ACT == ACT_RELU ? relu_row_sse2<T, SUM>(N, zr, gr, gr, colsum) : 0;
    for (std::int64_t j = j0; j < N; ++j) {
      // go * 1.0 in double rounds back to go itself, and go * 0.0 in double to go * 0 in T (the
      // same signed zero or NaN); the product is made unconditionally so the select needs no
      // branch (relu's mask is random: a branch mispredicts on half the elements)
      const T go = gr[j];
      const T off = go * T(0);
      const T gi = ACT == ACT_IDENTITY ? go : (zr[j] > T(0) ? go : off);
      gr[j] = gi;
      if (SUM) colsum[j] += static_cast<double>(gi);
    }
  }
}

// g read from grad_out, written to a separate grad_z
template <typename T, int ACT, bool SUM>
void simple_rows(std::int64_t r0, std::int64_t r1, std::int64_t N, const T* __restrict z,
                 const T* __restrict go_in, T* __restrict gz, double* __restrict colsum) {
  for (std::int64_t i = r0; i < r1; ++i) {
    const T* zr = z + i * N;
    const T* gor = go_in + i * N;
    T* gr = gz + i * N;
    const std::int64_t j0 = ACT == ACT_RELU ? relu_row_sse2<T, SUM>(N, zr, gor, gr, colsum) : 0;
    for (std::int64_t j = j0; j < N; ++j) {
      const T go = gor[j];
      const T off = go * T(0);
      const T gi = ACT == ACT_IDENTITY ? go : (zr[j] > T(0) ? go : off);
      gr[j] = gi;
      if (SUM) colsum[j] += static_cast<double>(gi);
    }
  }
}

inline bool disjoint(const void* a, const void* b, std::size_t bytes) {
  const char* p = static_cast<const char*>(a);
  const char* q = static_cast<const char*>(b);
  return p + bytes <= q || q + bytes <= p;
}

// rows [r0, r1) of identity or relu through the vectorizable loops when the arrays allow it
template <typename T, int ACT>
double simple_backward_rows(std::int64_t r0, std::int64_t r1, std::int64_t N, const T* z,
                            const T* grad_out, double param, T* grad_z, double* colsum) {
  const std::size_t bytes = static_cast<std::size_t>(r1 * N) * sizeof(T);
  // identity never reads z (z may be grad_out itself there)
  const bool z_ok = ACT == ACT_IDENTITY || (disjoint(z, grad_z, bytes) && disjoint(z, grad_out, bytes));
  if (z_ok && grad_z == grad_out) {
    if (colsum) simple_rows_inout<T, ACT, true>(r0, r1, N, z, grad_z, colsum);
    else simple_rows_inout<T, ACT, false>(r0, r1, N, z, grad_z, nullptr);
    return 0.0;
  }
  if (z_ok && disjoint(grad_out, grad_z, bytes)) {
    if (colsum) simple_rows<T, ACT, true>(r0, r1, N, z, grad_out, grad_z, colsum);
    else simple_rows<T, ACT, false>(r0, r1, N, z, grad_out, grad_z, nullptr);
    return 0.0;
  }
  return backward_rows<T, ACT>(r0, r1, N, z, grad_out, param, grad_z, colsum);
}

template <typename T>
using BackwardRows = double (*)(std::int64_t, std::int64_t, std::int64_t, const T*, const T*,
                                double, T*, double*);

template <typename T>
BackwardRows<T> backward_rows_for(int act) {
  switch (act) {
    case ACT_IDENTITY: return simple_backward_rows<T, ACT_IDENTITY>;
    case ACT_RELU: return simple_backward_rows<T, ACT_RELU>;
    case ACT_SIGMOID: return backward_rows<T, ACT_SIGMOID>;
    case ACT_TANH: return backward_rows<T, ACT_TANH>;
    case ACT_SWISH: return backward_rows<T, ACT_SWISH>;
    default: return backward_rows<T, ACT_CELU>;
  }
}

}  // namespace

// a layer's product: float32, or bf16 operands when bf16 (float only; double ignores it)
template <typename T>
void product(bool bf16, bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K,
             const T* a, const T* b, T beta, T* c, const Epilogue<T>* epi = nullptr,
             const RowsDone* done = nullptr, int parts = 0) {
  if constexpr (std::is_same_v<T, float>) {
    if (bf16) {
      gemm_bf16(ta, tb, M, N, K, 1.0f, a, b, beta, c, epi, done, parts);
      return;
    }
  }
  if (done) gemm_rows_done<T>(ta, tb, M, N, K, T(1), a, b, beta, c, done, parts);
  else gemm_epilogue<T>(ta, tb, M, N, K, T(1), a, b, beta, c, epi, parts);
}

template <typename T>
void linear_forward(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x, const T* w,
                    const T* bias, int act, double param, T* y, T* pre, int parts, bool bf16,
                    const T* mul) {
  FlushDenormals ftz;
  const ForwardCtx<T> ctx{bias, act, param, pre, mul};
  const Epilogue<T> epi = forward_epilogue<T>(act, &ctx);
  product<T>(bf16, false, false, B, OUT, IN, x, w, T(0), y, &epi, nullptr, parts);
}

namespace {

// grad_z := grad_out * act'(z); grad_bias := column sums (+= when accumulate); returns the param sum.
// column sums and the param sum run in double over blocks of ACT_BLOCK_ROWS rows, reduced in block
// order (the same for any thread count). a pass of its own on the way into a layer's backward, not
// an epilogue of the layer above's grad_x product: measured that way (relu, identity, sigmoid and
// tanh, each column's tiles on one thread, the block sums carried down a tile in sse2 registers,
// the same bits), W4's fused step took 8.68 against 8.65 ms (medians of 6 interleaved rounds) and
// W3's the same (paired ratio 1.002 over 8); with a scalar epilogue W4 was 17% slower
template <typename T>
double backward_act(std::int64_t B, std::int64_t OUT, const T* z, const T* grad_out, int act,
                    double param, T* grad_z, T* grad_bias, bool accumulate) {
  // per-block partials: column sums (nblk x OUT) then one param sum per block, grown only
  thread_local std::vector<double> partial;
  const std::int64_t nblk = (B + ACT_BLOCK_ROWS - 1) / ACT_BLOCK_ROWS;
  const std::int64_t cols = grad_bias ? OUT : 0;
  const std::size_t need = static_cast<std::size_t>(nblk * (cols + 1));
  if (partial.size() < need) {
    count_allocation();
    partial.resize(need);
  }
  double* colsums = partial.data();
  double* dparts = partial.data() + nblk * cols;
  const BackwardRows<T> rows = backward_rows_for<T>(act);
  const int threads = B * OUT < ACT_PARALLEL_MIN ? 1 : get_num_threads();
  parallel_for(static_cast<int>(nblk), threads, [&](int blk) {
    double* cs = grad_bias ? colsums + blk * cols : nullptr;
    if (cs) std::fill(cs, cs + cols, 0.0);
    const std::int64_t r0 = blk * ACT_BLOCK_ROWS;
    const std::int64_t r1 = std::min(B, r0 + ACT_BLOCK_ROWS);
    dparts[blk] = rows(r0, r1, OUT, z, grad_out, param, grad_z, cs);
  });
  double dparam = 0.0;
  for (std::int64_t b = 0; b < nblk; ++b) dparam += dparts[b];
  if (grad_bias) {
    for (std::int64_t j = 0; j < OUT; ++j) {
      double s = 0.0;
      for (std::int64_t b = 0; b < nblk; ++b) s += colsums[b * cols + j];
      grad_bias[j] = accumulate ? static_cast<T>(static_cast<double>(grad_bias[j]) + s)
                                : static_cast<T>(s);
    }
  }
  return dparam;
}

}  // namespace

template <typename T>
double linear_backward(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x, const T* w,
                       const T* z, const T* grad_out, int act, double param, T* grad_z,
                       T* grad_w, T* grad_bias, T* grad_x, bool accumulate, bool bf16) {
  FlushDenormals ftz;
  const double dparam =
      backward_act<T>(B, OUT, z, grad_out, act, param, grad_z, grad_bias, accumulate);
  if (grad_w) product<T>(bf16, true, false, IN, OUT, B, x, grad_z, accumulate ? T(1) : T(0), grad_w);
  if (grad_x) product<T>(bf16, false, true, B, IN, OUT, grad_z, w, T(0), grad_x);
  return dparam;
}

// w's update after a deep grad_w product, in contiguous chunks (elementwise: any split gives the
// same numbers)
inline void update_chunks(std::int64_t n, const RangeUpdate* w_update) {
  const std::int64_t chunks = (n + UPDATE_CHUNK - 1) / UPDATE_CHUNK;
  const int threads = n < UPDATE_PARALLEL_MIN ? 1 : get_num_threads();
  parallel_for(static_cast<int>(chunks), threads, [&](int c) {
    const std::int64_t off = c * UPDATE_CHUNK;
    w_update->fn(w_update->ctx, off, std::min(UPDATE_CHUNK, n - off));
  });
}

template <typename T>
double linear_backward_update(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x,
                              const T* w, const T* z, const T* grad_out, int act, double param,
                              T* grad_z, T* grad_w, T* grad_bias, T* grad_x, bool accumulate,
                              bool accumulate_bias, const RangeUpdate* w_update, int parts,
                              bool bf16, const T* grad_x_mul) {
  FlushDenormals ftz;
  const double dparam =
      backward_act<T>(B, OUT, z, grad_out, act, param, grad_z, grad_bias, accumulate_bias);
  // grad_x reads w: before any element of w is updated; with parts, each thread reads only its
  // own rows of w
  const Epilogue<T> mul_epi{mul_tile<T>, grad_x_mul};
  if (grad_x) {
    product<T>(bf16, false, true, B, IN, OUT, grad_z, w, T(0), grad_x, grad_x_mul ? &mul_epi : nullptr,
               nullptr, parts);
  }
  linear_grad_w_update<T>(B, IN, OUT, x, grad_z, grad_w, accumulate, w_update, parts, bf16);
  return dparam;
}

template <typename T>
void linear_grad_w_update(std::int64_t B, std::int64_t IN, std::int64_t OUT, const T* x,
                          const T* grad_z, T* grad_w, bool accumulate, const RangeUpdate* w_update,
                          int parts, bool bf16) {
  FlushDenormals ftz;
  const T beta = accumulate ? T(1) : T(0);
  if (w_update && w_update->outer && B == 1 && !accumulate && !bf16) {
    // batch 1: grad_w = x gz^T and the update in one pass (no tile of depth 1 stored, then read
    // back by the update), by the rows of the parts (the rows the forward product read there)
    const int n = parts >= 1 ? parts : 1;
    parallel_for(n, n, [&](int p) {
      const std::int64_t r0 = gemm_part_start<T>(IN, n, p), r1 = gemm_part_start<T>(IN, n, p + 1);
      if (r0 < r1) w_update->outer(w_update->ctx, r0, r1, OUT, x, grad_z);
    });
    return;
  }
  if (!w_update || (parts < 1 && B > ROWS_DONE_SHALLOW_K)) {
    product<T>(bf16, true, false, IN, OUT, B, x, grad_z, beta, grad_w);
    if (w_update) update_chunks(IN * OUT, w_update);
    return;
  }
  // w's update on each block of grad_w's rows as soon as the gemm has finished it, on the same
  // thread, while the rows are still in cache (one pass over w and grad_w, one fork-join)
  struct Rows {
    const RangeUpdate* u;
    std::int64_t OUT;
    static void fn(const void* ctx, std::int64_t i0, std::int64_t i1) {
      const Rows& r = *static_cast<const Rows*>(ctx);
      r.u->fn(r.u->ctx, i0 * r.OUT, (i1 - i0) * r.OUT);
    }
  };
  const Rows rows{w_update, OUT};
  const RowsDone done{Rows::fn, &rows};
  product<T>(bf16, true, false, IN, OUT, B, x, grad_z, beta, grad_w, nullptr, &done, parts);
}

template void linear_forward<float>(std::int64_t, std::int64_t, std::int64_t, const float*,
                                    const float*, const float*, int, double, float*, float*, int, bool,
                                    const float*);
template void linear_forward<double>(std::int64_t, std::int64_t, std::int64_t, const double*,
                                     const double*, const double*, int, double, double*,
                                     double*, int, bool, const double*);
template double linear_backward<float>(std::int64_t, std::int64_t, std::int64_t, const float*,
                                       const float*, const float*, const float*, int, double,
                                       float*, float*, float*, float*, bool, bool);
template double linear_backward<double>(std::int64_t, std::int64_t, std::int64_t, const double*,
                                        const double*, const double*, const double*, int, double,
                                        double*, double*, double*, double*, bool, bool);
template double linear_backward_update<float>(std::int64_t, std::int64_t, std::int64_t,
                                              const float*, const float*, const float*,
                                              const float*, int, double, float*, float*, float*,
                                              float*, bool, bool, const RangeUpdate*, int, bool,
                                              const float*);
template void linear_grad_w_update<float>(std::int64_t, std::int64_t, std::int64_t, const float*,
                                          const float*, float*, bool, const RangeUpdate*, int, bool);
template void linear_grad_w_update<double>(std::int64_t, std::int64_t, std::int64_t, const double*,
                                           const double*, double*, bool, const RangeUpdate*, int, bool);
template double linear_backward_update<double>(std::int64_t, std::int64_t, std::int64_t,
                                               const double*, const double*, const double*,
                                               const double*, int, double, double*, double*,
                                               double*, double*, bool, bool,
                                               const RangeUpdate*, int, bool, const double*);

}  // namespace ffnn
