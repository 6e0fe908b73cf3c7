#!/usr/bin/env bash
# Writes the points file of a sweep over (model setup x scheduler x concurrency) to stdout:
#   jobs/make-points.sh SETUPS SCHEDULERS CONCURRENCIES > points.tsv
# each a comma-separated list, e.g.
#   jobs/make-points.sh configs/paper/qwen3-30b-1gpu.yaml sieve,pimoe 1,16,256 > points.tsv
# One line per point, "SETUP<TAB>SCHEDULER<TAB>CONCURRENCY", setups as absolute paths (the jobs
# may run in another directory); line i (from 0, not counting '#' lines) is array task i. A
# plain file rather than arguments of the job so that the task list can be read, edited
# (drop the points already done) and checked before anything is submitted.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: jobs/make-points.sh SETUPS SCHEDULERS CONCURRENCIES > points.tsv

SETUPS: comma-separated experiment files (e.g. configs/paper/qwen3-30b-1gpu.yaml,configs/quickstart.yaml)
SCHEDULERS: comma-separated scheduler names (gpu-only, noexp, allexp, pimoe, duplex, sieve, oracle)
CONCURRENCIES: comma-separated positive integers (workload.requests.closed.concurrency)
Prints one "SETUP<TAB>SCHEDULER<TAB>CONCURRENCY" line per combination (setup outermost,
concurrency innermost) after a '#' header line.
EOF
}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  usage
  exit 0
fi
if [[ $# -ne 3 ]]; then
  usage >&2
  exit 2
fi
bad() {
  echo "make-points: $*" >&2
  exit 2
}

IFS=, read -r -a setups <<<"$1"
IFS=, read -r -a schedulers <<<"$2"
IFS=, read -r -a concurrencies <<<"$3"
((${#setups[@]} > 0)) || bad "no setup given"
((${#schedulers[@]} > 0)) || bad "no scheduler given"
((${#concurrencies[@]} > 0)) || bad "no concurrency given"

# Checked here, before anything is submitted: a typo would otherwise surface as a failed task
# (and an aggregation that never runs) only once the job is scheduled.
abs=()
for s in "${setups[@]}"; do
  [[ -f $s ]] || bad "setup '$s' not found"
  abs+=("$(realpath "$s")")
  [[ ${abs[-1]} != *$'\t'* ]] || bad "setup path '${abs[-1]}' contains a tab"
done
for s in "${schedulers[@]}"; do
  [[ $s =~ ^[A-Za-z0-9_-]+$ ]] || bad "scheduler '$s' is not a name"
done
for c in "${concurrencies[@]}"; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || bad "concurrency '$c' is not a positive integer"
done

printf '# setup\tscheduler\tconcurrency\n'
for s in "${abs[@]}"; do
  for k in "${schedulers[@]}"; do
    for c in "${concurrencies[@]}"; do
      printf '%s\t%s\t%s\n' "$s" "$k" "$c"
    done
  done
done
