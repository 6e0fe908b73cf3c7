#!/usr/bin/env bash
# README command (a): install the dependencies, build, and run the shipped default experiment on
# 4 MPI ranks. Prints the summary table and the path of the HDF5 result.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" -DSIEVESIM_BUILD_TESTS=OFF
exec bash "$root/jobs/run-local.sh" 4 "$root/configs/quickstart.yaml" -o "$root/quickstart.h5"
