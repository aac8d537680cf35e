#!/bin/sh
# builds bench/dev/build/d3_phases from the kernel sources with the addon's per-file SIMD flags
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/bench/dev/build"
mkdir -p "$out"
cxx=${CXX:-g++}
flags="-O3 -std=c++17 -fno-math-errno -ffp-contract=off -pthread -I$root/native/kernels"
k="$root/native/kernels"
objs=""
for f in cpu threads alloc_count gemm gemm_portable gemm_bf16 activation linear losses optim optim_clip dropout train_step; do
  $cxx $flags -c "$k/$f.cpp" -o "$out/$f.o" &
  objs="$objs $out/$f.o"
done
$cxx $flags -mavx2 -mfma -c "$k/gemm_avx2.cpp" -o "$out/gemm_avx2.o" &
$cxx $flags -mavx512f -mavx2 -mfma -mprfchw -c "$k/gemm_avx512.cpp" -o "$out/gemm_avx512.o" &
$cxx $flags -mavx512f -mavx512bw -mavx512bf16 -mavx2 -mfma -c "$k/gemm_bf16_avx512.cpp" -o "$out/gemm_bf16_avx512.o" &
$cxx $flags -mamx-tile -mamx-bf16 -c "$k/gemm_amx.cpp" -o "$out/gemm_amx.o" &
$cxx $flags -mavx512f -mavx2 -mfma -c "$k/optim_avx512.cpp" -o "$out/optim_avx512.o" &
$cxx $flags -mavx512f -c "$k/dropout_avx512.cpp" -o "$out/dropout_avx512.o" &
wait
objs="$objs $out/gemm_avx2.o $out/gemm_avx512.o $out/gemm_bf16_avx512.o $out/gemm_amx.o $out/optim_avx512.o $out/dropout_avx512.o"
# shellcheck disable=SC2086
$cxx $flags "$root/bench/dev/d3_phases.cpp" $objs -o "$out/d3_phases"
echo "$out/d3_phases"
