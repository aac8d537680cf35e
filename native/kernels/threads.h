// the persistent thread pool the kernels share; no Node headers
#pragma once

#include <cstdint>
#include <type_traits>

namespace ffnn {

constexpr int MAX_THREADS = 256;

// n in [1, MAX_THREADS] (checked by the caller; clamped here)
void set_num_threads(int n);
// defaults to std::thread::hardware_concurrency(), at least 1
int get_num_threads();

// runs fn(ctx, t) for every t in [0, ntasks) on up to `threads` threads, the caller included, and
// returns when all are done. task t < threads goes to the same thread at every call when that
// thread is ready for it (the caller runs task 0), so a per-thread part of a matrix stays in one
// core's caches; the rest are claimed in any order, and a late thread's task is taken over: a
// task's result must not depend on which thread runs it. workers run with flush-to-zero set (fpenv.h). a call made
// while another caller is using the pool runs all its tasks on its own thread.
void parallel_run(int ntasks, int threads, void (*fn)(void* ctx, int task), void* ctx);

template <class F>
void parallel_for(int ntasks, int threads, F&& f) {
  if (ntasks <= 0) return;
  if (threads <= 1 || ntasks == 1) {
    for (int t = 0; t < ntasks; ++t) f(t);
    return;
  }
  using Fn = typename std::remove_reference<F>::type;
  parallel_run(ntasks, threads, [](void* c, int t) { (*static_cast<Fn*>(c))(t); },
               const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace ffnn
