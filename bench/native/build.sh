#!/bin/sh
# builds bench/native/build/gemm_bench from the kernel sources with the addon's per-file SIMD flags;
# links OpenBLAS only when its header and library are present (never needed by the addon).
# run: sh bench/native/build.sh && OPENBLAS_CORETYPE=SkylakeX bench/native/build/gemm_bench
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/bench/native/build"
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-O3 -std=c++17 -fno-math-errno -ffp-contract=off -pthread -I$root/native/kernels"
k="$root/native/kernels"
objs=""
for f in cpu threads alloc_count gemm gemm_portable activation linear; do
  $cxx $flags -c "$k/$f.cpp" -o "$out/$f.o"
  objs="$objs $out/$f.o"
done
$cxx $flags -mavx2 -mfma -c "$k/gemm_avx2.cpp" -o "$out/gemm_avx2.o"
$cxx $flags -mavx512f -mavx2 -mfma -mprfchw -c "$k/gemm_avx512.cpp" -o "$out/gemm_avx512.o"
# the peak loops pick their instruction sets with target attributes: base flags for the file
$cxx $flags -c "$root/bench/native/fma_peak.cpp" -o "$out/fma_peak.o"
objs="$objs $out/gemm_avx2.o $out/gemm_avx512.o $out/fma_peak.o"
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
