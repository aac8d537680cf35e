// blocking constants of the cache-blocked gemm, each with its reason; no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// rows of op(a) per block: a (MC, KC) double panel is 64 KiB, it stays in L2 while b streams
constexpr std::int64_t GEMM_MC = 64;
// depth per block: KC rows of b times NC columns is 256 KiB (double), half of a typical L2
constexpr std::int64_t GEMM_KC = 128;
// columns per block: a row of c (NC) plus four rows of b stay in L1 in the inner loop
constexpr std::int64_t GEMM_NC = 256;

}  // namespace ffnn
