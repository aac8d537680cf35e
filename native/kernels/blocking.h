// every blocking and threading constant of the gemm and the layer kernels, each with its reason;
// no Node headers. measured on the target: AMD EPYC (zen 5), L1d 48 KiB 12-way, L2 1 MiB per
// core, large shared L3; 2 FMA pipes of 512 bits, FMA latency 4 cycles.
#pragma once

#include <cstdint>

namespace ffnn {

// one path's register tile and cache blocks, in elements
struct Blocking {
  int MR;             // rows of the register tile: broadcasts of packed a per k
  int NR;             // columns of the register tile: whole vectors of packed b per k
  std::int64_t KC;    // most depth per block: the (KC, NR) sliver of b stays in L1
  std::int64_t MC;    // rows per packed a block: (MC, KC) stays in L2 while the b panel streams
  std::int64_t NC;    // columns per packed b panel: (KC, NC) in L2/L3
};

// avx-512 float: 8 x 32 = 16 zmm accumulators, 2 b loads and 8 broadcasts per 16 FMAs: enough
// independent chains (>= 2 pipes x 4 cycles) and loads well under the 2 per cycle limit; MR = 8
// divides the batch sizes 16, 64, 256 (no wasted rows on the MLP shapes) and NR = 32 divides
// 256 and 1024 (a 14 x 32 or 8 x 48 tile wastes rows or columns there).
// KC = 512: the c tile is loaded and stored once per KC products, and with rows 4-8 KiB apart
// its update is the costly part; measured 1024/2048 squares: KC 256 -> 154/157, 384 -> 165/156,
// 512 -> 164/171 GFLOP/s (the 64 KiB b sliver then lives in L1 and L2 together).
// MC = 192: the a block (192 x 512 x 4 = 384 KiB) stays in the 1 MiB L2 beside the b sliver.
// NC = 1024: the b panel (512 x 1024 x 4 = 2 MiB) streams from L3 once per MC rows; 2048 and 512
// measured no better.
constexpr Blocking AVX512_F32{8, 32, 512, 192, 1024};
// avx-512 double: the same register tile in 8-lane vectors (8 x 16 = 16 zmm), the same bytes per
// block (MC and NC halved).
constexpr Blocking AVX512_F64{8, 16, 512, 96, 512};
// avx2+fma float: 6 x 16 = 12 ymm accumulators + 2 b vectors + 1 broadcast of 16 registers (the
// haswell shape of BLIS); b sliver 256 x 16 x 4 = 16 KiB fits a 32 KiB L1.
constexpr Blocking AVX2_F32{6, 16, 256, 144, 2048};
// avx2+fma double: 6 x 8 in 4-lane vectors (12 ymm accumulators).
constexpr Blocking AVX2_F64{6, 8, 256, 72, 1024};
// portable float: 4 x 8 accumulators, 8 sse registers after auto-vectorization, no spills with
// the 16 xmm of baseline x86-64; small tile because nothing is known about the target.
constexpr Blocking PORTABLE_F32{4, 8, 256, 128, 2048};
// portable double: 4 x 4 (8 sse registers of 2 doubles).
constexpr Blocking PORTABLE_F64{4, 4, 256, 64, 1024};

// the widest tile of any path, for stack buffers of edge tiles
constexpr int MAX_MR = 8;
constexpr int MAX_NR = 32;

// the bf16 tile paths (bf16.h): avx512bf16 8 x 32 (the float32 tile, each vdpbf16ps two
// multiply-adds a lane), amx 32 x 32 (four 16 x 16 float32 tiles of c, two of a, two of b: all 8
// tiles, 2 loads per tdpbf16ps). every tile is summed over all of K (packed bf16, half the bytes of
// float32: a 32-row block of a at K = 1024 is 64 KiB) and its c written once, by the kernel in
// avx-512 (a scalar store of the tiles in the baseline build took 9% of a W4 bf16 step).
// column tiles per block: the b block (8 x 32 columns x 1024 deep x 2 bytes = 512 KiB) stays in
// L2 while every row tile of the thread passes over it
constexpr std::int64_t BF16_NC_TILES = 8;
// tasks per thread of the bf16 packing and tile loops: a thread that another process holds off its
// core leaves the tasks it has not claimed to the others (docs/bf16.md has the measurements)
constexpr int BF16_TASKS_PER_THREAD = 4;

// b is read in place (not packed) when it is not transposed and op(a) has at most this many
// rows: each b sliver then serves at most 8 tiles, and packing it (a read and a write of all of
// b) costs more than it saves: 64 x 784 x 256 measured 159 packed, 190 GFLOP/s in place. at 256
// rows in place loses (122 vs 170 on 256 x 1024 x 1024): power-of-two row strides of b collide
// in the L1 sets, and packing pays for itself.
constexpr std::int64_t GEMM_DIRECT_B_MAX_M = 64;

// a product a^T b (a stored (K, M)) of at most GEMM_NARROW_N columns, more rows, and a of at least
// GEMM_NARROW_MIN_MK elements runs as its transpose b^T a (gemm.cpp: gemm_narrow_transposed): a
// classifier's grad_w (IN x OUT = 10). gemm_bench, one thread, GFLOP/s direct -> transposed:
// 1024 x 256 x 10 36-38 -> 78-84, 784 x 256 x 10 66-68 -> 104-119, 128 x 64 x 10 50 -> 80-97,
// 256 x 16 x 10 53 -> 66, 1024 x 256 x 1 3.4 -> 20; two threads 1024 x 256 x 10 68-74 -> 147-159.
// smaller a loses to the two transposes and the second call: 64 x 8 x 10 45 -> 30, 48 x 16 x 10
// 60 -> 42, 17 x 33 x 16 53-68 -> 51 (64 x 64 x 10, 4096 elements: 75 -> 83)
// the transposed product writes c^T into a scratch of M N elements that its thread keeps (grow-only):
// past GEMM_NARROW_MAX_MN (4 MiB of float) the direct product runs, so a very wide layer's gradient
// does not keep a copy of itself alive on each thread
constexpr std::int64_t GEMM_NARROW_N = 16;
constexpr std::int64_t GEMM_NARROW_MIN_MK = 4096;
constexpr std::int64_t GEMM_NARROW_MAX_MN = std::int64_t{1} << 20;
static_assert(GEMM_NARROW_N <= GEMM_DIRECT_B_MAX_M, "the transposed product reads a in place");

// below this many multiply-adds (M N K) a gemm runs on the calling thread: ~2^19 is ~5 us on
// one core, about what handing work to a spinning worker and waiting for it costs; batch-1
// layers (1 x 784 x 256 = 2^17.6) stay on the caller
constexpr std::int64_t GEMM_PARALLEL_MIN_MACS = std::int64_t{1} << 19;

// the activation backward of a layer works in blocks of this many rows; each block's column sums
// and param sum are partials reduced in block order, so the sums do not depend on thread count
constexpr std::int64_t ACT_BLOCK_ROWS = 32;
// below this many elements (B x OUT) the activation backward runs on the calling thread
constexpr std::int64_t ACT_PARALLEL_MIN = std::int64_t{1} << 15;

// a fused step's optimizer update of a weight matrix runs over contiguous chunks of this many
// elements (one pass, prefetch-friendly: updating each finished gemm tile in place, row segments of
// NR at a stride of OUT, measured 2x slower on the 784x256 layer at batch 1 for the call and
// strided-access overhead); elementwise, so any split gives the same numbers
constexpr std::int64_t UPDATE_CHUNK = std::int64_t{1} << 14;
// below this many elements the update runs on the calling thread
constexpr std::int64_t UPDATE_PARALLEL_MIN = std::int64_t{1} << 16;

// a layer's grad_w of depth K (the batch) <= ROWS_DONE_SHALLOW_K runs with w's update fused in: a
// gemm with a rows callback, in row blocks of about ROWS_DONE_ELEMS elements of c, so the update
// reads the rows (and w, and the momentum buffer) from L1 right after they are written instead of
// a second pass over all of grad_w from L2/L3 (W5 batch 1: 80-85 -> 75-77 us a step; batch 64 and
// 256 measured no better, within the noise, so deeper products keep the separate pass)
constexpr std::int64_t ROWS_DONE_SHALLOW_K = 32;
constexpr std::int64_t ROWS_DONE_ELEMS = 4096;

// a fused training step gives each thread a contiguous run of a layer's weight rows (IN, OUT) for
// its forward product (split by depth: gemm_epilogue's parts), its grad_w product and its update,
// when the layer has at least OWNED_MIN_WEIGHTS weights and its output at most OWNED_MAX_OUTPUTS
// elements (B x OUT: the partial products are added on one thread). each thread then reads and
// writes the same rows of w, grad_w and the optimizer state at every step, in its own core's L2.
// measured on W1 (784 x 256 at batch 16): 2 threads were slower than 1 while the forward split
// columns and the update split rows (the lines of w moved between the cores); splitting both by
// columns was 4x slower still (two cores writing alternate 512-byte pieces of every 1 KiB row:
// the L2 prefetchers pull the other core's lines; a plain C++ test of an update split that way
// took 85-90 us a pass against 8.6 us split by rows). on this machine a line the other core wrote
// takes ~230 ns to arrive (two pinned threads passing one line: 460 ns a round trip), while
// streamed reads of the other core's data run at 75-85 GB/s, as fast as local ones. a layer of one
// depth block (IN < 2 KC: 256 x 128 at batch 64 in W3) keeps its products on one thread: cutting
// its depth in two blocks for two threads (on every path, to keep the sums the same) made W3's step
// 2.2% slower (8 interleaved rounds); its grad_w beside its grad_x on the other core, with w's
// update there too, 7.8% slower (8 rounds; likely the next forward, reading w in place 2 lines a
// row, fetching each line from that core), and with the update on the caller 1.3% faster (15
// rounds), not worth a task that waits on another inside one job
constexpr std::int64_t OWNED_MIN_WEIGHTS = std::int64_t{1} << 14;
constexpr std::int64_t OWNED_MAX_OUTPUTS = std::int64_t{1} << 15;

// the parts of a layer (in, out) at batch B on `threads` threads: one run of weight rows per thread
// when it is big enough (above), else 0 (the gemm picks). the fused step and the module calls'
// linearForward / linearGradStep use the same, so each thread's rows of w stay in its core's L2
// from the forward product to the update
inline int owned_parts(std::int64_t in, std::int64_t out, std::int64_t B, int threads) {
  return threads > 1 && in * out >= OWNED_MIN_WEIGHTS && B * out <= OWNED_MAX_OUTPUTS ? threads : 0;
}

// an idle worker spins this long for the next job before it sleeps on a condition variable: covers
// the gaps of a training loop (the caller's single-threaded kernels, and between steps the data
// loader's next batch, ~35 us at batch 64 of MNIST) without burning a core when idle. a worker that
// fell asleep costs a wake-up at the next job: W3 (MNIST, batch 64) measured 0.40-0.42 s an epoch
// with 50 us, 0.365 s with 300 us and with 2000 us
constexpr int POOL_SPIN_MICROSECONDS = 500;

}  // namespace ffnn
