// the thread count the kernels may use; no Node headers
#pragma once

namespace ffnn {

constexpr int MAX_THREADS = 256;

// n in [1, MAX_THREADS] (checked by the caller; clamped here)
void set_num_threads(int n);
// defaults to std::thread::hardware_concurrency(), at least 1
int get_num_threads();

}  // namespace ffnn
