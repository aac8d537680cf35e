// flush-to-zero and denormals-are-zero for the length of one kernel call; no Node headers.
// denormal operands cost ~100 cycles each on x86, and late MNIST epochs make many of them.
// set on entry of every kernel call (and by every pool worker for each job), restored on exit,
// so the caller's floating-point environment is unchanged. tolerance consequence: results and
// operands below the smallest normal (1.2e-38 float, 2.2e-308 double) read and write as 0; the
// cross-check tests compare with absolute floors far above that.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace ffnn {

class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(_M_X64)
  // MXCSR bit 15 is FTZ, bit 6 is DAZ
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  FlushDenormals() {}
#endif

 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace ffnn
