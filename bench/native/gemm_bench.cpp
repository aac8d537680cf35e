// verifies, then times, the gemm of every supported path and thread count against OpenBLAS
// when it is linked in (-DFFNN_HAVE_OPENBLAS). prints GFLOP/s medians of `reps` runs and the ratio
// to OpenBLAS with the same thread count, after one core's fused multiply-add peak (fma_peak.cpp).
// built by bench/native/build.sh.
// usage: gemm_bench [--reps N] [--f64] [--cpu] [--isa NAME] [--threads LIST] [--shapes LIST]
// --cpu divides by process cpu time instead of wall time (for 1 thread on a shared machine)
// shapes are MxKxN (c is (M, N), a is (M, K), b is (K, N)); an optional t prefix transposes a.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <time.h>
#include <vector>

#include "cpu.h"
#include "fma_peak.h"
#include "gemm.h"
#include "threads.h"

#ifdef FFNN_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace {

struct Shape {
  std::int64_t M, K, N;
  bool ta = false;  // a stored (K, M) and transposed (a layer's grad_w = x^T gz)
};

// wall clock, or with --cpu the process cpu time (all threads): on a loaded machine it shows
// what a kernel costs when it runs, not how long it waited for a core
bool g_cpu_time = false;

double now() {
  if (g_cpu_time) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename T>
void fill(std::vector<T>& v, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> d(-1, 1);
  for (auto& x : v) x = static_cast<T>(d(g));
}

// c vs a double-accumulated product on a sample of elements: |c - ref| <= (K + 8) u sum|a||b|
template <typename T>
bool verify(const Shape& s, const std::vector<T>& a, const std::vector<T>& b,
            const std::vector<T>& c, double* worst) {
  const double u = sizeof(T) == 4 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -53);
  const std::int64_t step_i = std::max<std::int64_t>(1, s.M / 61);
  const std::int64_t step_j = std::max<std::int64_t>(1, s.N / 67);
  *worst = 0;
  for (std::int64_t i = 0; i < s.M; i += step_i) {
    for (std::int64_t j = 0; j < s.N; j += step_j) {
      double sum = 0, abs = 0;
      for (std::int64_t k = 0; k < s.K; ++k) {
        const double p = static_cast<double>(s.ta ? a[k * s.M + i] : a[i * s.K + k]) * b[k * s.N + j];
        sum += p;
        abs += std::fabs(p);
      }
      const double err = std::fabs(c[i * s.N + j] - sum) / ((s.K + 8) * u * std::max(abs, 1e-30));
      *worst = std::max(*worst, err);
      if (!(err <= 1)) return false;
    }
  }
  return true;
}

template <typename F>
std::vector<double> time_runs(int reps, double flops, F&& f) {
  f();  // warm-up: pack buffers, pool threads, caches
  std::vector<double> g;
  for (int r = 0; r < reps; ++r) {
    // enough calls per repeat to run ~50 ms, so tiny shapes are not timer noise
    int calls = 1;
    for (;;) {
      const double t0 = now();
      for (int i = 0; i < calls; ++i) f();
      const double dt = now() - t0;
      if (dt > 0.05 || calls > (1 << 20)) {
        g.push_back(flops * calls / dt / 1e9);
        break;
      }
      calls *= 2;
    }
  }
  std::sort(g.begin(), g.end());
  return g;
}

template <typename T>
int run(int reps, const std::vector<std::string>& isas, const std::vector<int>& threads,
        const std::vector<Shape>& shapes) {
  int failures = 0;
  std::printf("%-18s %-9s %3s %9s %9s %9s %9s %7s\n", "shape MxKxN", "path", "thr", "median",
              "min", "max", "openblas", "ratio");
  for (const Shape& s : shapes) {
    std::vector<T> a(s.M * s.K), b(s.K * s.N), c(s.M * s.N);
    fill(a, 1);
    fill(b, 2);
    const double flops = 2.0 * s.M * s.N * s.K;
    char name[64];
    std::snprintf(name, sizeof name, "%s%lldx%lldx%lld", s.ta ? "t" : "", (long long)s.M,
                  (long long)s.K, (long long)s.N);
    for (int t : threads) {
      double blas = 0;
#ifdef FFNN_HAVE_OPENBLAS
      const auto ta = s.ta ? CblasTrans : CblasNoTrans;
      const std::int64_t lda = s.ta ? s.M : s.K;
      openblas_set_num_threads(t);
      auto gb = time_runs(reps, flops, [&] {
        if constexpr (sizeof(T) == 4) {
          cblas_sgemm(CblasRowMajor, ta, CblasNoTrans, s.M, s.N, s.K, 1.0f, a.data(), lda,
                      b.data(), s.N, 0.0f, c.data(), s.N);
        } else {
          cblas_dgemm(CblasRowMajor, ta, CblasNoTrans, s.M, s.N, s.K, 1.0, a.data(), lda,
                      b.data(), s.N, 0.0, c.data(), s.N);
        }
      });
      blas = gb[gb.size() / 2];
      std::printf("%-18s %-9s %3d %9.1f %9.1f %9.1f\n", name, "openblas", t, blas, gb.front(),
                  gb.back());
#endif
      for (const std::string& isa_name : isas) {
        ffnn::Isa isa;
        if (!ffnn::isa_from_name(isa_name.c_str(), &isa) || !ffnn::set_isa(isa)) continue;
        ffnn::set_num_threads(t);
        std::fill(c.begin(), c.end(), T(NAN));
        ffnn::gemm<T>(s.ta, false, s.M, s.N, s.K, T(1), a.data(), b.data(), T(0), c.data());
        double worst;
        if (!verify(s, a, b, c, &worst)) {
          std::printf("%-18s %-9s %3d FAILED verification (error %.3g of the bound)\n", name,
                      isa_name.c_str(), t, worst);
          ++failures;
          continue;
        }
        auto g = time_runs(reps, flops, [&] {
          ffnn::gemm<T>(s.ta, false, s.M, s.N, s.K, T(1), a.data(), b.data(), T(0), c.data());
        });
        const double med = g[g.size() / 2];
        std::printf("%-18s %-9s %3d %9.1f %9.1f %9.1f", name, isa_name.c_str(), t, med, g.front(),
                    g.back());
        if (blas > 0) std::printf(" %9.1f %7.2f", blas, med / blas);
        std::printf("\n");
      }
    }
  }
  return failures;
}

std::vector<std::string> split(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 7;
  bool f64 = false;
  std::vector<std::string> isas = {"avx512", "avx2", "portable"};
  std::vector<int> threads = {1, 2};
  std::vector<Shape> shapes = {{512, 512, 512},   {1024, 1024, 1024}, {2048, 2048, 2048},
                               {16, 784, 256},    {64, 784, 256},     {256, 1024, 1024}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--reps") reps = std::max(5, std::atoi(val)), ++i;
    else if (arg == "--f64") f64 = true;
    else if (arg == "--cpu") g_cpu_time = true;
    else if (arg == "--isa") isas = split(val), ++i;
    else if (arg == "--threads") {
      threads.clear();
      for (auto& t : split(val)) threads.push_back(std::atoi(t.c_str()));
      ++i;
    } else if (arg == "--shapes") {
      shapes.clear();
      for (auto& t : split(val)) {
        Shape s{};
        s.ta = !t.empty() && t[0] == 't';
        if (std::sscanf(t.c_str() + (s.ta ? 1 : 0), "%lldx%lldx%lld", (long long*)&s.M,
                        (long long*)&s.K, (long long*)&s.N) == 3) {
          shapes.push_back(s);
        }
      }
      ++i;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("best path %s; %s, %d repeats, GFLOP/s per %s second\n",
              ffnn::isa_to_name(ffnn::best_isa()), f64 ? "float64" : "float32", reps,
              g_cpu_time ? "cpu" : "wall");
  // the ceiling of the one-thread float32 figures below (float64: half of it)
  std::printf("one core's float32 fused multiply-add peak, GFLOP/s (best of 5):");
  if (ffnn::isa_supported(ffnn::Isa::Avx512)) std::printf(" avx512 %.1f", fma_peak_gflops(true, 5));
  if (ffnn::isa_supported(ffnn::Isa::Avx2)) std::printf(" avx2 %.1f", fma_peak_gflops(false, 5));
  std::printf("\n");
  const int failures = f64 ? run<double>(reps, isas, threads, shapes)
                           : run<float>(reps, isas, threads, shapes);
  return failures == 0 ? 0 : 1;
}
