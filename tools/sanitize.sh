#!/usr/bin/env bash
# npm run test:sanitize: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into its
# own folder (build-asan/, the normal build/ is untouched) and runs the kernel, module and binding
# suites and a few thousand fuzzer calls on it, with leak detection. any sanitizer report from any
# process (vitest's forked workers and the fuzzer's child included) fails the run: every report is
# written under a log folder that must stay empty, besides the exit codes.
#
#   bash tools/sanitize.sh                 # build-asan/, the suites, 5000 fuzz calls
#   FFNN_ASAN_OUT=build-x bash tools/sanitize.sh   # another build folder (a scratch copy, say)
#   FFNN_ASAN_FUZZ_CALLS=50000 bash tools/sanitize.sh
#
# node itself is not instrumented, so the sanitizer runtimes are preloaded (LD_PRELOAD) into every
# node process; tools/lsan.supp names the node/V8/libuv allocations LSan must not count (never ffnn's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${FFNN_ASAN_OUT:-build-asan}
FUZZ_CALLS=${FFNN_ASAN_FUZZ_CALLS:-5000}
CXX=${CXX:-g++}
start=$(date +%s)

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# cmake-js sets CMAKE_CXX_FLAGS itself, so the flags go in through the Release configuration's
# variable (the project's own -O3 and warnings still follow them)
echo "sanitize: building the addon with ASan + UBSan into $OUT/"
npx cmake-js compile -O "$OUT" \
  --CDCMAKE_CXX_FLAGS_RELEASE="-O1 -g -DNDEBUG $SAN" \
  --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >"$OUT.log" 2>&1 || {
  tail -40 "$OUT.log"
  echo "sanitize: FAILED: the sanitized build did not compile (log: $OUT.log)"
  exit 1
}
ADDON="$ROOT/$OUT/Release/ffnn.node"
if ! nm -D "$ADDON" | grep __asan_report >/dev/null; then  # no -q: an early exit would SIGPIPE nm and fail the pipeline
  echo "sanitize: FAILED: $ADDON is not instrumented (no __asan_report symbols)"
  exit 1
fi

LIBASAN=$($CXX -print-file-name=libasan.so)
LIBUBSAN=$($CXX -print-file-name=libubsan.so)
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/ffnn-sanitize-XXXXXX")
# only the node processes get the sanitizer environment (a preloaded LSan would report the leaks of
# find, cat and the other tools this script runs)
SANENV=(
  FFNN_ADDON="$ADDON"
  LD_PRELOAD="$LIBASAN:$LIBUBSAN"
  # exit codes 86 (ASan / LSan) and 87 (UBSan) tell a sanitizer death from a test failure
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$LOGS/asan"
  LSAN_OPTIONS="suppressions=$ROOT/tools/lsan.supp:print_suppressions=0"
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$LOGS/ubsan"
  # the sanitized addon must load: no skipping the native cases
  FFNN_SKIP_NATIVE=0
)

status=0
echo "sanitize: vitest run test/kernels test/nn test/native-binding.test.ts test/native-gemm-paths.test.ts test/perf"
env "${SANENV[@]}" npx vitest run test/kernels test/nn test/native-binding.test.ts test/native-gemm-paths.test.ts test/perf --maxWorkers=2 || status=$?
echo "sanitize: vitest exited with $status"

if [ "$FUZZ_CALLS" -gt 0 ]; then
  echo "sanitize: fuzzer, $FUZZ_CALLS calls"
  fuzz_status=0
  env "${SANENV[@]}" node tools/fuzz.mjs --calls "$FUZZ_CALLS" --seed 1 --quiet --timeout 600 --max-rss 4096 --addon "$ADDON" || fuzz_status=$?
  echo "sanitize: fuzzer exited with $fuzz_status"
  if [ "$fuzz_status" -ne 0 ]; then status=1; fi
fi

reports=$(find "$LOGS" -type f | sort)
if [ -n "$reports" ]; then
  for f in $reports; do
    echo "==== sanitizer report $f"
    cat "$f"
  done
  echo "sanitize: FAILED: $(echo "$reports" | wc -l) sanitizer report(s) (above)"
  status=1
fi
rm -rf "$LOGS"
echo "sanitize: $(( $(date +%s) - start )) s in all"
if [ "$status" -ne 0 ]; then
  echo "sanitize: FAILED"
  exit 1
fi
echo "sanitize: OK, no sanitizer reports"
