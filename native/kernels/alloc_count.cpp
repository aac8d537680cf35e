#include "alloc_count.h"

#include <atomic>

namespace ffnn {

namespace {
std::atomic<std::int64_t> g_allocations{0};
}

void count_allocation() { g_allocations.fetch_add(1, std::memory_order_relaxed); }

std::int64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace ffnn
