#include "threads.h"

#include <atomic>
#include <thread>

namespace ffnn {

namespace {

int default_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) return 1;
  return hw > static_cast<unsigned>(MAX_THREADS) ? MAX_THREADS : static_cast<int>(hw);
}

std::atomic<int>& thread_count() {
  static std::atomic<int> n{default_threads()};
  return n;
}

}  // namespace

void set_num_threads(int n) {
  thread_count().store(n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n));
}

int get_num_threads() { return thread_count().load(); }

}  // namespace ffnn
