# sourced (from a script two folders below the root) by the benchmarks' native builds (bench/native/build.sh, bench/dev/d3_phases.sh): sets
# root, k, cxx and flags, and kernel_objects OUT compiles every file of native/kernels into OUT with
# the per-file SIMD flags of CMakeLists.txt (in parallel) and sets objs to the object files
root=$(cd "$(dirname "$0")/../.." && pwd)
k="$root/native/kernels"
cxx=${CXX:-g++}
flags="-O3 -std=c++17 -fno-math-errno -ffp-contract=off -pthread -I$k"

kernel_objects() {
  objs=""
  for src in "$k"/*.cpp; do
    f=$(basename "$src" .cpp)
    case "$f" in
      gemm_avx2) simd="-mavx2 -mfma" ;;
      gemm_avx512) simd="-mavx512f -mavx2 -mfma -mprfchw" ;;
      gemm_bf16_avx512) simd="-mavx512f -mavx512bw -mavx512bf16 -mavx2 -mfma" ;;
      gemm_amx) simd="-mamx-tile -mamx-bf16" ;;
      optim_avx2) simd="-mavx2 -mfma" ;;
      optim_avx512) simd="-mavx512f -mavx2 -mfma" ;;
      dropout_avx512) simd="-mavx512f" ;;
      *) simd="" ;;
    esac
    # shellcheck disable=SC2086
    $cxx $flags $simd -c "$src" -o "$1/$f.o" &
    objs="$objs $1/$f.o"
  done
  wait
}
