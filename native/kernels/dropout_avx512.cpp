// the dropout lane loop built with -mavx512f (CMakeLists.txt / binding.gyp set it for this file
// only): 16 lanes, one zmm per state word; called only when the active path is avx-512
#include "dropout_lanes.h"

namespace ffnn {

void dropout_lanes_avx512(std::int64_t m, std::uint32_t* x0, std::uint32_t* x1, std::uint32_t* x2,
                          std::uint32_t* x3, std::uint32_t hi_l, std::uint32_t lo_l, float scale,
                          float* mask) {
  dropout_lanes<float, DROPOUT_WIDE_LANES>(m, x0, x1, x2, x3, hi_l, lo_l, scale, mask);
}

void dropout_lanes_avx512(std::int64_t m, std::uint32_t* x0, std::uint32_t* x1, std::uint32_t* x2,
                          std::uint32_t* x3, std::uint32_t hi_l, std::uint32_t lo_l, double scale,
                          double* mask) {
  dropout_lanes<double, DROPOUT_WIDE_LANES>(m, x0, x1, x2, x3, hi_l, lo_l, scale, mask);
}

}  // namespace ffnn
