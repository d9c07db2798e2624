#!/usr/bin/env bash
# Every GPU path of lavaflow, on a machine with an NVIDIA GPU: builds what it needs, runs each
# path, and prints a table (path, result, export, import, hand-off latency A→B→A, bytes
# checked). It is the only proof these paths work: record its output in docs/gpu.md.
#
#   tests/gpu/run-on-gpu.sh [--prebuilt] [BUILD_DIR]     (BUILD_DIR: build/gpu)
#
# It configures BUILD_DIR with the system's Vulkan drivers (LAVAFLOW_TEST_VULKAN_ICD empty: not
# lavapipe, which the ordinary test suite pins), unless --prebuilt says BUILD_DIR is already
# built that way. Needs what ./run installs plus the NVIDIA driver (its Vulkan ICD and
# libcuda.so.1) and, for the CUDA row, the CUDA toolkit (nvcc, cuda.h). Every row runs even if
# an earlier one failed. Exit status: 0 when every row passed or skipped with its reason, 1 if
# any failed. The full output of each row is in BUILD_DIR/gpu-run/*.log.
set -uo pipefail
cd "$(dirname "$0")/../.."

prebuilt=0
if [ "${1:-}" = "--prebuilt" ]; then prebuilt=1; shift; fi
build=${1:-build/gpu}
logs=$build/gpu-run
mkdir -p "$logs"
targets=(lavaflow_cli test_memory_vulkan test_semaphore_vulkan test_semaphore test_cpp_sync lf_test_helper
         lf_semaphore_helper bench_sync cuda_import opencl_import)

echo "== machine"
uname -srm
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  || echo "(no nvidia-smi)"
command -v nvcc > /dev/null && nvcc --version | tail -2 | head -1 || echo "(no nvcc on PATH)"

if [ "$prebuilt" -eq 0 ]; then
  echo "== build: $build (Release, the system's Vulkan drivers)"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLAVAFLOW_TEST_VULKAN_ICD= > "$logs/configure.log" 2>&1 \
    || { echo "configure failed: $logs/configure.log"; tail -20 "$logs/configure.log"; exit 1; }
  built=()
  for t in "${targets[@]}"; do
    # (cuda_import and opencl_import exist only where their toolkit was found: build what exists)
    grep -q "^$t:" <(cmake --build "$build" --target help 2>/dev/null | sed 's/^\.\.\. //; s/ .*$/:/') && built+=("$t")
  done
  cmake --build "$build" -j "$(nproc)" --target "${built[@]}" > "$logs/build.log" 2>&1 \
    || { echo "build failed: $logs/build.log"; tail -30 "$logs/build.log"; exit 1; }
fi

echo "== Vulkan devices"
"$build/tools/lavaflow" devices 2>&1 | tee "$logs/devices.log"

rows=()
failed=0
# row PATH RESULT EXPORT IMPORT HANDOFF BYTES
row() { rows+=("$(printf '| %-46s | %-7s | %-17s | %-8s | %-15s | %-13s |' "$@")"); }

# A cmocka test binary run directly (not through ctest, whose environment pins lavapipe).
run_test() {
  local name=$1 what=$2 log=$logs/$1.log
  if [ ! -x "$build/tests/$name" ]; then row "$what" "missing" "-" "-" "-" "-"; failed=1; return; fi
  if env LF_TEST_HELPER="$build/tests/lf_test_helper" LF_SEMAPHORE_HELPER="$build/tests/lf_semaphore_helper" \
      LF_TEST_REQUIRE_EXPORTABLE=1 "$build/tests/$name" > "$log" 2>&1; then
    row "$what" "passed" "${3:--}" "${4:--}" "-" "-"
  else
    row "$what" "FAILED" "${3:--}" "${4:--}" "-" "-"; failed=1
  fi
}

# An interop example: its RESULT or SKIP line.
run_example() {
  local name=$1 what=$2 log=$logs/$1.log
  if [ ! -x "$build/examples/$name" ]; then row "$what" "skipped" "-" "-" "-" "(not built: no toolkit)"; return; fi
  "$build/examples/$name" > "$log" 2>&1
  local rc=$? line
  line=$(grep -E "^(RESULT|SKIP) $name" "$log" | tail -1)
  if [ $rc -eq 0 ] && [[ $line == RESULT* ]]; then
    local export import handoff bytes
    export=$(sed -n 's/.* export=\([^ ]*\).*/\1/p' <<< "$line")
    import=$(sed -n 's/.* import=\([^ ]*\).*/\1/p' <<< "$line")
    handoff=$(sed -n 's/.* handoff_us_median=\([^ ]*\).*/\1 µs median/p' <<< "$line")
    bytes=$(sed -n 's/.* bytes_checked=\([^ ]*\).*/\1/p' <<< "$line")
    row "$what" "passed" "$export" "$import" "$handoff" "$bytes"
  elif [ $rc -eq 0 ] && [[ $line == SKIP* ]]; then
    row "$what" "skipped" "-" "-" "-" "-"
    echo "   $line"
  else
    row "$what" "FAILED" "-" "-" "-" "-"; failed=1
    tail -5 "$log" | sed 's/^/   /'
  fi
}

echo "== running (logs: $logs)"
run_test test_memory_vulkan "Vulkan memory across processes" "opaque fd" "vulkan"
run_test test_semaphore_vulkan "Vulkan timeline semaphore across processes" "opaque fd" "vulkan"
run_test test_cpp_sync "lf::semaphore (Vulkan kind from C++)"
run_test test_semaphore "shared semaphores (threads, processes, death)"
run_example cuda_import "CUDA import: memory + timeline semaphore"
run_example opencl_import "OpenCL import: memory (CPU-side semaphore)"
if [ -x "$build/bench/bench_sync" ]; then
  "$build/bench/bench_sync" > "$logs/bench_sync.log" 2>&1 \
    && row "semaphore ping-pong, 2 processes (bench_sync)" "passed" "-" "-" \
           "$(awk -F'|' '/LF_WAIT_SPIN .*one counter/ {gsub(/ /, "", $3); print $3 " ns spin"; exit}' "$logs/bench_sync.log")" "-" \
    || { row "semaphore ping-pong (bench_sync)" "FAILED" "-" "-" "-" "-"; failed=1; }
fi

echo
printf '| %-46s | %-7s | %-17s | %-8s | %-15s | %-13s |\n' path result export import "hand-off A→B→A" "bytes checked"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..19})" \
  "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..17})" "$(printf -- '-%.0s' {1..15})"
printf '%s\n' "${rows[@]}"
[ $failed -eq 0 ] && echo "all GPU paths passed or skipped with a reason" || echo "a GPU path FAILED (see $logs)"
exit $failed
