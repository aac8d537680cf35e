// the optimizer loops built with -mavx512f (CMakeLists.txt / binding.gyp set it for this file only);
// called only when the active path is avx-512
#include "optim_isa.h"

FFNN_OPTIM_INSTANTIATE(ffnn::Isa::Avx512)
