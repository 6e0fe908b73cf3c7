#!/usr/bin/env bash
# README command (b): install the dependencies, build everything, run every test (unit tests,
# MPI tests at 1, 2 and 4 ranks, end-to-end CLI tests) through CTest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" -DSIEVESIM_BUILD_TESTS=ON
source "$root/scripts/mpi-env.sh"
cd "${SIEVESIM_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900 "$@"
