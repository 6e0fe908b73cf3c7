#!/usr/bin/env bash
# Reproduction of the Sieve paper's comparison: the three shipped setups (configs/paper/),
# concurrency 1..256, every scheduler on the identical routing. Prints, per setup, throughput and
# interactivity of each scheduler (Pareto table) and each scheduler's ratio over Sieve (below 1:
# Sieve faster; the report's one convention is scheduler over baseline) at each concurrency and
# at each one's best point.
#
#   bash bench/reproduce_paper.sh [build-dir] [out-dir]     (RANKS=N: MPI ranks, default 1)
#
# Then the paper's stress test: prefill colocated with decode (workload.mode=serve, chunked
# prefill of the 1024-token prompts in the same iterations as decode) at concurrency 16 and 32:
# each client sends 4 requests one after another, outputs uniform in 16..112 (mean 64, as the
# decode runs) so that requests finish at different times and new prompts keep arriving while
# others decode.
#
# Results: OUT-DIR/<setup>.h5 and OUT-DIR/<setup>-serve.h5 (one group per scheduler and point)
# and OUT-DIR/report.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/bench/paper-results}
# The oracle (an exact bound, not a deployable scheduler) is left out by default: its search
# over token-count states takes minutes per point at high concurrency. SCHEDULERS=...,oracle
# adds it.
schedulers=${SCHEDULERS:-gpu-only,noexp,allexp,pimoe,duplex,sieve}
ranks=${RANKS:-1}
source "$root/scripts/mpi-env.sh"
mkdir -p "$out"
report=$out/report.txt
{
  echo "sievesim paper reproduction, commit $(git -C "$root" rev-parse --short HEAD)," \
    "$(date -u +%Y-%m-%d), $(nproc) cores, $ranks rank(s), schedulers $schedulers"
} >"$report"
# reproduce SETUP TITLE OUT.h5 [run options]...: one run of every scheduler, its report appended.
reproduce() {
  local setup=$1 title=$2 h5=$3 start
  shift 3
  start=$(date +%s)
  local args=(run "$root/configs/paper/$setup.yaml" --schedulers "$schedulers" --baseline sieve
    -o "$h5" -q "$@")
  if [[ $ranks -eq 1 ]]; then
    "$build/sievesim" "${args[@]}"
  else
    mpirun --oversubscribe -np "$ranks" "$build/sievesim" "${args[@]}"
  fi
  {
    echo
    echo "=== $title ($(($(date +%s) - start)) s wall) ==="
    "$build/sievesim" report "$h5" | sed 1d
  } | tee -a "$report"
}
setups=(qwen3-30b-1gpu gpt-oss-120b-4gpu qwen3.5-397b-8gpu)
for setup in "${setups[@]}"; do
  reproduce "$setup" "$setup" "$out/$setup.h5"
done
for setup in "${setups[@]}"; do
  reproduce "$setup" "$setup, prefill colocated with decode" "$out/$setup-serve.h5" \
    -p workload.mode=serve -p workload.requests.closed.per_client=4 \
    -p 'workload.requests.output={dist: uniform, uniform: {min: 16, max: 112}}' \
    --sweep workload.requests.closed.concurrency=16,32
done
echo "report: $report"
