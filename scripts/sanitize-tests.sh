#!/usr/bin/env bash
# Builds sievesim and its tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (SIEVESIM_SANITIZE=ON, the `sanitize` preset of CMakePresets.json) and runs the tests under
# them. Arguments go to ctest: `-L unit` (GoogleTest unit tests), `-L mpi`, `-L cli`, `-R NAME`.
# Leak detection is off because OpenMPI keeps its allocations until exit; any other ASan report
# or any UBSan report fails the test that triggered it (halt_on_error).
# Environment: SIEVESIM_SANITIZE_BUILD_DIR (default build-sanitize/), SIEVESIM_JOBS (default:
# every core).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SIEVESIM_SANITIZE_BUILD_DIR:-$root/build-sanitize}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIEVESIM_BUILD_TESTS=ON \
  -DSIEVESIM_SANITIZE=ON
cmake --build "$build" -j "${SIEVESIM_JOBS:-$(nproc)}"
source "$root/scripts/mpi-env.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$build"
# The instrumented binaries run several times slower; the CLI tests' own limit is 900 s.
ctest --output-on-failure --timeout 3600 "$@"
