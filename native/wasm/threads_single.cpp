// the pool of threads.h for the wasm build: one thread, every task run on the caller in order
// (wasm32 without shared memory has no threads). no Node headers
#include "threads.h"

namespace ffnn {

void set_num_threads(int) {}

int get_num_threads() { return 1; }

void parallel_run(int ntasks, int, void (*fn)(void* ctx, int task), void* ctx) {
  for (int t = 0; t < ntasks; ++t) fn(ctx, t);
}

}  // namespace ffnn

// the kernels' thread_local workspaces register their destructors here; wasm32's libc++abi is
// built without threads and lacks it. the one thread lives as long as the module instance, which
// never exits (a reactor), so nothing is registered and the buffers are freed with the instance
extern "C" int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }
