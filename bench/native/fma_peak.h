// one core's float32 fused multiply-add peak in GFLOP/s (fma_peak.cpp)
#pragma once

// avx512: 16-lane registers, else avx2 8-lane ones; the best of `runs` timings
double fma_peak_gflops(bool avx512, int runs);
