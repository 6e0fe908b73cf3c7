#!/usr/bin/env bash
# Fixed start-up of a single-process run (issue 19 item 1): the wall time of `--version` (process
# start and dynamic linking, no MPI), of a bare MPI_Init + MPI_Finalize, and of a run of one
# decode token on one node (MPI start-up, model load, assembly, one iteration, the HDF5 write),
# each as sievesim starts a singleton (isolated: no runtime helper, ob1 over self) and as
# OpenMPI 4.1 starts one by default (forced here by PMI_RANK, which makes sievesim leave
# OpenMPI's defaults alone as under a process manager; OpenMPI itself ignores it). Median of REPS.
# usage: bash bench/startup.sh [BUILD_DIR] [REPS]
source "$(dirname "${BASH_SOURCE[0]}")/wall_time.sh" "${1:-}" "${2:-}" 20
cat >"$work/one.yaml" <<YAML
system: {nodes: 1, gpus_per_server: 1}
model: {config: $ROOT/models/qwen3-30b-a3b.json}
workload:
  mode: decode
  requests: {arrival: closed, closed: {concurrency: 1}, prompt: 16, output: 1}
output: {path: $work/one.h5, layers: false}
YAML
cat >"$work/init.c" <<'C'
#include <mpi.h>
int main(int argc, char** argv) { MPI_Init(&argc, &argv); MPI_Finalize(); return 0; }
C
mpicc -O2 "$work/init.c" -o "$work/init"

median_ms() { echo $(($(median_ns "$@") / 1000000)); }

echo "sievesim start-up, binary $("$bin" --version), median of $reps, $(nproc) cores, $(uptime | sed 's/.*load/load/')"
printf '%-44s %10s\n' "what" "wall ms"
printf '%-44s %10s\n' "sievesim --version (no MPI)" "$(median_ms "$bin" --version)"
# The same isolation settings main() makes, for the bare MPI program.
printf '%-44s %10s\n' "MPI_Init+Finalize, OpenMPI default singleton" "$(median_ms "$work/init")"
printf '%-44s %10s\n' "MPI_Init+Finalize, isolated singleton" "$(median_ms env OMPI_MCA_ess_singleton_isolated=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self "$work/init")"
printf '%-44s %10s\n' "run of one token, default singleton" "$(median_ms env PMI_RANK=0 "$bin" run -q "$work/one.yaml")"
printf '%-44s %10s\n' "run of one token, isolated (sievesim)" "$(median_ms "$bin" run -q "$work/one.yaml")"
