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

// the path of the bf16 products (gemm with bf16 operands, float32 accumulation): amx tiles
// (tdpbf16ps), avx-512 bf16 dot products (vdpbf16ps), or portable (the operands rounded to bf16 in
// float32 and multiplied by the active float32 path, whose products of them are exact)
enum class Bf16Isa { Portable = 0, Avx512Bf16 = 1, Amx = 2 };

// "amx", "avx512bf16", "portable"
const char* bf16_isa_to_name(Bf16Isa isa);
bool bf16_isa_from_name(const char* name, Bf16Isa* out);
// cpuid, the os's saved state (xgetbv) and, for amx, the kernel's grant of the tile data
// (arch_prctl ARCH_REQ_XCOMP_PERM, asked once per process) all say yes; portable always
bool bf16_isa_supported(Bf16Isa isa);
Bf16Isa best_bf16_isa();
// FFNN_ISA=amx or avx512bf16 forces that bf16 path (the float32 path then the best one);
// FFNN_ISA=avx512, avx2 or portable forces that float32 path and the portable bf16 path
Bf16Isa active_bf16_isa();
bool set_bf16_isa(Bf16Isa isa);
const char* bf16_isa_name();

}  // namespace ffnn
