#include "threads.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "blocking.h"
#include "fpenv.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define FFNN_PAUSE() _mm_pause()
#else
#define FFNN_PAUSE() std::this_thread::yield()
#endif

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

constexpr int CLOSED = -(1 << 30);

// workers wait for a new generation (spinning, then asleep), join the open job by incrementing
// `joined` (refused once the caller has closed it), claim tasks from `next`, and leave. the caller
// runs tasks too, then closes the job and waits until every worker that joined has left, so a job's
// fields never change under a worker.
class Pool {
 public:
  void run(int ntasks, int threads, void (*fn)(void*, int), void* ctx) {
    std::unique_lock<std::mutex> busy(run_mu_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < ntasks; ++t) fn(ctx, t);
      return;
    }
    // the workers that could be started (fewer than asked where the system refuses threads)
    const int nworkers = grow(threads - 1);
    fn_ = fn;
    ctx_ = ctx;
    ntasks_ = ntasks;
    active_ = nworkers;
    pinned_ = threads < ntasks ? threads : ntasks;
    for (int t = 0; t < pinned_; ++t) taken_[t].store(0, std::memory_order_relaxed);
    next_.store(pinned_, std::memory_order_relaxed);
    left_.store(0, std::memory_order_relaxed);
    joined_.store(0, std::memory_order_release);
    gen_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lk(mu_); }
      cv_.notify_all();
    }
    work(0);
    const int joined = joined_.exchange(CLOSED, std::memory_order_acq_rel);
    for (int i = 0; left_.load(std::memory_order_acquire) != joined; ++i) {
      FFNN_PAUSE();
      if (i > 4096) std::this_thread::yield();
    }
  }

 private:
  // starts workers up to n and returns how many there are, at most n: a thread the system refuses
  // (a process or memory limit) leaves the pool smaller, and the caller runs the tasks no worker
  // takes (work(): every pinned task not taken), rather than an exception ending the process. the
  // refusal is remembered, so later calls do not each pay a failed clone and a C++ throw
  int grow(int n) {
    while (started_ < n && !refused_) {
      const int index = started_;
      try {
        std::thread([this, index] { loop(index); }).detach();
      } catch (const std::exception&) {
        refused_ = true;
        break;
      }
      ++started_;
    }
    return started_ < n ? started_ : n;
  }

  void loop(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t g = wait_for_new(seen);
      seen = g;
      int j = joined_.load(std::memory_order_acquire);
      while (j >= 0 && !joined_.compare_exchange_weak(j, j + 1, std::memory_order_acq_rel)) {
      }
      if (j < 0) continue;
      // joined: the job's fields are stable until we leave; workers past the count only leave
      if (index < active_) {
        FlushDenormals ftz;
        work(index + 1);
      }
      left_.fetch_add(1, std::memory_order_release);
    }
  }

  // participant p (the caller 0, worker i as i + 1) runs task p first, so that a job split into
  // one part per thread gives each thread the same part at every call (its data stays in that
  // core's caches from one kernel to the next); then the tasks past the pinned ones, claimed in
  // any order; then any pinned task whose thread has not come yet (a sleeping worker's)
  void work(int p) {
    const int pinned = pinned_;
    const int n = ntasks_;
    if (p < pinned && taken_[p].exchange(1, std::memory_order_relaxed) == 0) fn_(ctx_, p);
    for (int t; (t = next_.fetch_add(1, std::memory_order_relaxed)) < n;) fn_(ctx_, t);
    for (int t = 0; t < pinned; ++t) {
      if (taken_[t].load(std::memory_order_relaxed) == 0 &&
          taken_[t].exchange(1, std::memory_order_relaxed) == 0) {
        fn_(ctx_, t);
      }
    }
  }

  // spins for POOL_SPIN_MICROSECONDS, then sleeps until the generation moves past `seen`
  std::uint64_t wait_for_new(std::uint64_t seen) {
    const auto start = std::chrono::steady_clock::now();
    const auto spin = std::chrono::microseconds(POOL_SPIN_MICROSECONDS);
    for (int i = 0;; ++i) {
      const std::uint64_t g = gen_.load(std::memory_order_acquire);
      if (g != seen) return g;
      FFNN_PAUSE();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - start > spin) break;
    }
    std::unique_lock<std::mutex> lk(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(lk, [&] { return gen_.load(std::memory_order_seq_cst) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return gen_.load(std::memory_order_acquire);
  }

  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;  // workers started (detached, never stopped)
  bool refused_ = false;  // the system refused a thread: the pool stays at started_
  std::atomic<std::uint64_t> gen_{0};
  std::atomic<int> joined_{CLOSED};
  std::atomic<int> left_{0};
  std::atomic<int> next_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<int> taken_[MAX_THREADS] = {};
  int active_ = 0;
  int pinned_ = 0;
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  int ntasks_ = 0;
};

// never destroyed: detached workers may still be waiting on it at process exit
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void set_num_threads(int n) {
  thread_count().store(n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n));
}

int get_num_threads() { return thread_count().load(); }

void parallel_run(int ntasks, int threads, void (*fn)(void*, int), void* ctx) {
  if (ntasks <= 0) return;
  if (threads > ntasks) threads = ntasks;
  if (threads <= 1) {
    for (int t = 0; t < ntasks; ++t) fn(ctx, t);
    return;
  }
  pool().run(ntasks, threads, fn, ctx);
}

}  // namespace ffnn
