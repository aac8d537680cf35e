#!/bin/sh
# builds bench/dev/build/d3_phases from the kernel sources with the addon's per-file SIMD flags
set -eu
. "$(dirname "$0")/../native/kernels.sh"
out="$root/bench/dev/build"
mkdir -p "$out"
kernel_objects "$out"
# shellcheck disable=SC2086
$cxx $flags "$root/bench/dev/d3_phases.cpp" $objs -o "$out/d3_phases"
echo "$out/d3_phases"
