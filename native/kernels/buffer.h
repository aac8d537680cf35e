// a grow-only 64-byte aligned buffer, one per thread and element type (never shared); no Node
// headers. included only by files compiled without SIMD flags (gemm_arch.h says why)
#pragma once

#include <cstddef>
#include <new>

#include "alloc_count.h"

namespace ffnn {

template <typename T>
class Buffer {
 public:
  ~Buffer() { release(); }
  T* get(std::size_t n) {
    if (n > cap_) {
      release();
      count_allocation();
      p_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
      cap_ = n;
    }
    return p_;
  }

 private:
  void release() {
    if (p_) ::operator delete(p_, std::align_val_t(64));
    p_ = nullptr;
    cap_ = 0;
  }
  T* p_ = nullptr;
  std::size_t cap_ = 0;
};

}  // namespace ffnn
