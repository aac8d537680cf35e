// cpu feature detection and the instruction set the gemm micro-kernels use; no Node headers
#pragma once

namespace ffnn {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// "avx512", "avx2", "portable"
const char* isa_to_name(Isa isa);
// false when name is none of the three
bool isa_from_name(const char* name, Isa* out);
// the cpu (and the os, through xgetbv) can run this path; portable always
bool isa_supported(Isa isa);
// the best supported path
Isa best_isa();

// the path the kernels use now: FFNN_ISA when set and supported, else the best one; set_isa
// changes it at run time (tests run every supported path). set_isa of an unsupported path
// returns false and changes nothing.
Isa active_isa();
bool set_isa(Isa isa);
// why the active path is not what FFNN_ISA asked for ("" when it is, or when FFNN_ISA is unset)
const char* isa_note();

// kept for the binding's info(): the active path's name
const char* isa_name();

}  // namespace ffnn
