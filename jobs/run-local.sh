#!/usr/bin/env bash
# Runs one sievesim experiment on this machine with R MPI ranks:
#   jobs/run-local.sh R EXPERIMENT.yaml [sievesim run options...]
# R = 1 runs without mpirun (all simulated nodes in one process).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -lt 2 ]]; then
  echo "usage: $0 RANKS EXPERIMENT.yaml [sievesim run options...]" >&2
  exit 2
fi
ranks=$1
shift
bin=${SIEVESIM_BIN:-${SIEVESIM_BUILD_DIR:-$root/build}/sievesim}
if [[ ! -x $bin ]]; then
  echo "run-local: $bin not found; build first (bash scripts/build.sh)" >&2
  exit 2
fi
source "$root/scripts/mpi-env.sh"
if [[ $ranks -eq 1 ]]; then
  exec "$bin" run "$@"
fi
exec mpirun --oversubscribe -np "$ranks" "$bin" run "$@"
