// D3's fused step split into its phases, timed from the kernels alone (no Node): the whole
// train_step, then each call it makes at the same shapes. build and run:
// sh bench/dev/d3_phases.sh && bench/dev/build/d3_phases [threads] [reps]; CPU=1 times process cpu
// time (one thread on a loaded machine)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <time.h>
#include <vector>

#include "activation.h"
#include "dropout.h"
#include "gemm.h"
#include "linear.h"
#include "optim.h"
#include "threads.h"
#include "train_step.h"

using namespace ffnn;
// AB=v: paired rounds of the step with ffnn::g_variant 0 and v, for a local experiment that defines
// that switch in the kernels (none does in the tree)
namespace ffnn { extern int g_variant __attribute__((weak)); }

// CPU=1: process cpu time (one thread on a loaded machine: the time this process ran, not waited)
static bool use_cpu = false;
static double now_us() {
  if (!use_cpu) return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static double median_us(int reps, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < 3; ++i) f();
  for (int r = 0; r < reps; ++r) {
    const double t0 = now_us();
    f();
    t.push_back(now_us() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 50;
  set_num_threads(threads);
  use_cpu = std::getenv("CPU") != nullptr;
  const std::int64_t B = 100;
  const std::int64_t sz[5] = {784, 1024, 1024, 1024, 10};
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 0.05f);
  auto randv = [&](std::int64_t n) { std::vector<float> v(n); for (auto& e : v) e = nd(rng); return v; };
  StepConfig cfg;
  cfg.loss = StepLoss::CrossEntropy;
  cfg.optimizer = StepOptimizer::Sgd;
  std::vector<std::vector<float>> data, grad, buf;
  for (int l = 0; l < 4; ++l) {
    StepLayer ly{sz[l], sz[l + 1], l < 3 ? ACT_RELU : ACT_IDENTITY, 0.0, -1, 2 * l, 2 * l + 1};
    cfg.layers.push_back(ly);
    data.push_back(randv(sz[l] * sz[l + 1])); grad.push_back(std::vector<float>(sz[l] * sz[l + 1]));
    buf.push_back(std::vector<float>(sz[l] * sz[l + 1]));
    data.push_back(randv(sz[l + 1])); grad.push_back(std::vector<float>(sz[l + 1]));
    buf.push_back(std::vector<float>(sz[l + 1]));
  }
  cfg.slots = 8;
  cfg.drops = {{0, 0.2}, {1, 0.5}, {2, 0.5}, {3, 0.5}};
  std::vector<StepSlot<float>> slots;
  for (int s = 0; s < 8; ++s) slots.push_back({data[s].data(), grad[s].data(), buf[s].data(), nullptr, nullptr, (std::int64_t)data[s].size()});
  std::vector<double> state(H_COUNT + 8, 0.0);
  state[H_LR] = 0.01; state[H_MOMENTUM] = 0.9;
  std::uint32_t ds[4][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}};
  std::uint32_t* dsp[4] = {ds[0], ds[1], ds[2], ds[3]};
  std::vector<float> x = randv(B * 784);
  std::vector<std::int32_t> y(B);
  for (int i = 0; i < B; ++i) y[i] = i % 10;
  StepWorkspace<float> ws;
  if (std::getenv("AB") && &g_variant) {
    const int va = std::atoi(std::getenv("AB"));
    std::vector<double> ta, tb;
    for (int i = 0; i < 3; ++i) train_step<float>(cfg, ws, B, x.data(), nullptr, y.data(), slots.data(), state.data(), dsp);
    for (int r = 0; r < reps; ++r) {
      for (int v = 0; v < 2; ++v) {
        g_variant = v ? va : 0;
        const double t0 = now_us();
        for (int k = 0; k < 5; ++k) train_step<float>(cfg, ws, B, x.data(), nullptr, y.data(), slots.data(), state.data(), dsp);
        (v ? tb : ta).push_back((now_us() - t0) / 5);
      }
    }
    std::vector<double> ratio;
    for (int r = 0; r < reps; ++r) ratio.push_back(tb[r] / ta[r]);
    std::sort(ta.begin(), ta.end()); std::sort(tb.begin(), tb.end()); std::sort(ratio.begin(), ratio.end());
    std::printf("threads %d AB %d: base %.0f us, variant %.0f us, paired ratio median %.3f (q1 %.3f q3 %.3f)\n", threads, va, ta[reps / 2], tb[reps / 2], ratio[reps / 2], ratio[reps / 4], ratio[3 * reps / 4]);
    return 0;
  }
  const double full = median_us(reps, [&] { train_step<float>(cfg, ws, B, x.data(), nullptr, y.data(), slots.data(), state.data(), dsp); });
  std::printf("threads %d: train_step %.0f us (%.0f samples/s, %.1f GFLOP/s at 15.9 MFLOP/sample)\n", threads, full, B / full * 1e6, 15.9e6 * B / full / 1e3);
  double sum = 0;
  auto row = [&](const char* name, double us) { sum += us; std::printf("  %-34s %8.1f us %5.1f%%\n", name, us, 100 * us / full); };
  const std::int64_t w[4] = {B * 784, B * 1024, B * 1024, B * 1024};
  const double pp[4] = {0.2, 0.5, 0.5, 0.5};
  std::vector<std::vector<float>> mask(4), dy(4);
  for (int q = 0; q < 4; ++q) { mask[q].resize(w[q]); dy[q].resize(w[q]); }
  row("masks (4 tasks in parallel)", median_us(reps, [&] {
    parallel_for(4, threads, [&](int q) { dropout_mask<float>(w[q], pp[q], dsp[q], mask[q].data()); });
  }));
  std::vector<std::vector<float>> ys(4), pre(4), dxs(4);
  for (int l = 0; l < 4; ++l) { ys[l].resize(B * sz[l + 1]); pre[l].resize(B * sz[l + 1]); dxs[l].resize(B * sz[l]); }
  for (int q = 0; q < 4; ++q) {
    const float* in = q == 0 ? x.data() : ys[q - 1].data();
    char nm[64]; std::snprintf(nm, sizeof nm, q ? "drop_at pass %d (%lld, folded in the step)" : "drop_at pass %d (%lld)", q, (long long)w[q]);
    row(nm, median_us(reps, [&] { dropout_backward<float>(w[q], in, mask[q].data(), dy[q].data()); }));
  }
  for (int l = 0; l < 4; ++l) {
    const float* in = dy[l].data();
    char nm[64]; std::snprintf(nm, sizeof nm, "forward %lldx%lldx%lld", (long long)B, (long long)sz[l], (long long)sz[l + 1]);
    row(nm, median_us(reps, [&] { linear_forward<float>(B, sz[l], sz[l + 1], in, data[2 * l].data(), data[2 * l + 1].data(), cfg.layers[l].act, 0.0, ys[l].data(), l < 3 ? pre[l].data() : nullptr, 0, false); }));
  }
  std::vector<float> gz(B * 1024), g(B * 1024);
  for (auto& e : g) e = nd(rng);
  for (int l = 3; l >= 0; --l) {
    const std::int64_t IN = sz[l], OUT = sz[l + 1];
    char nm[80];
    std::vector<float> go(g.begin(), g.begin() + B * OUT);
    std::snprintf(nm, sizeof nm, "  act backward+bias %lldx%lld", (long long)B, (long long)OUT);
    row(nm, median_us(reps, [&] { linear_backward<float>(B, IN, OUT, dy[l].data(), data[2 * l].data(), pre[l].data(), go.data(), l < 3 ? ACT_RELU : ACT_IDENTITY, 0.0, gz.data(), nullptr, grad[2 * l + 1].data(), nullptr, false, false); }));
    if (l > 0) {
      std::snprintf(nm, sizeof nm, "  grad_x %lldx%lldx%lld", (long long)B, (long long)IN, (long long)OUT);
      row(nm, median_us(reps, [&] { gemm<float>(false, true, B, IN, OUT, 1.f, gz.data(), data[2 * l].data(), 0.f, dxs[l].data()); }));
    }
    std::snprintf(nm, sizeof nm, "  grad_w %lldx%lldx%lld (K=B)", (long long)IN, (long long)OUT, (long long)B);
    row(nm, median_us(reps, [&] { gemm<float>(true, false, IN, OUT, B, 1.f, dy[l].data(), gz.data(), 0.f, grad[2 * l].data()); }));
    SgdParams o{}; o.lr = 0.01; o.momentum = 0.9;
    std::snprintf(nm, sizeof nm, "  sgd update %lld", (long long)(IN * OUT));
    const std::int64_t n = IN * OUT;
    row(nm, median_us(reps, [&] {
      const std::int64_t chunk = 1 << 14, chunks = (n + chunk - 1) / chunk;
      parallel_for((int)chunks, n < (1 << 16) ? 1 : threads, [&](int c) { const std::int64_t off = c * chunk; sgd_update<float>(std::min(chunk, n - off), data[2 * l].data() + off, grad[2 * l].data() + off, buf[2 * l].data() + off, o, 0.0, true); });
    }));
    if (l > 0) {
      std::snprintf(nm, sizeof nm, "  drop_back %lld (folded in the step)", (long long)w[l]);
      row(nm, median_us(reps, [&] { dropout_backward<float>(w[l], dxs[l].data(), mask[l].data(), dxs[l].data()); }));
    }
  }
  std::printf("  sum of phases %.0f us (%.1f%% of the step; the rest: loss, checks, calls)\n", sum, 100 * sum / full);
  return 0;
}
