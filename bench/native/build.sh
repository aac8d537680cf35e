#!/bin/sh
# builds bench/native/build/gemm_bench from the kernel sources with the addon's per-file SIMD flags;
# links OpenBLAS only when its header and library are present (never needed by the addon).
# run: sh bench/native/build.sh && OPENBLAS_CORETYPE=SkylakeX bench/native/build/gemm_bench
set -eu
. "$(dirname "$0")/kernels.sh"
out="$root/bench/native/build"
mkdir -p "$out"
kernel_objects "$out"
# the peak loops pick their instruction sets with target attributes: base flags for the file
$cxx $flags -c "$root/bench/native/fma_peak.cpp" -o "$out/fma_peak.o"
objs="$objs $out/fma_peak.o"
blas=""
if [ -f /usr/include/cblas.h ] || [ -f /usr/include/x86_64-linux-gnu/cblas.h ]; then
  if echo 'int main(){}' | $cxx -x c++ - -lopenblas -o "$out/probe" 2>/dev/null; then
    blas="-DFFNN_HAVE_OPENBLAS -lopenblas"
  fi
fi
if [ -z "$blas" ]; then echo "OpenBLAS not found: timing without it" >&2; fi
# shellcheck disable=SC2086
$cxx $flags "$root/bench/native/gemm_bench.cpp" $objs -o "$out/gemm_bench" $blas
echo "$out/gemm_bench"
