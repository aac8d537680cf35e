// a process-wide count of the kernels' scratch allocations (grow-only buffers and step workspaces);
// a training step at a fixed batch shape must leave it unchanged. no Node headers
#pragma once

#include <cstdint>

namespace ffnn {

// called by every grow-only buffer when it allocates
void count_allocation();
// allocations so far, all threads
std::int64_t allocation_count();

}  // namespace ffnn
