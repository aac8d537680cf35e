// the optimizer loops built with -mavx2 -mfma (CMakeLists.txt / binding.gyp set it for this file
// only); called only when the active path is avx2
#include "optim_isa.h"

FFNN_OPTIM_INSTANTIATE(ffnn::Isa::Avx2)
