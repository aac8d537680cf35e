// cpu feature detection and the instruction-set name; no Node headers
#pragma once

namespace ffnn {

// name of the instruction set the kernels use on this machine: "avx512", "avx2", or "portable"
const char* isa_name();

}  // namespace ffnn
