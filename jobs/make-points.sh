#!/usr/bin/env bash
# Writes the points file of a sweep over (model setup x scheduler x concurrency), or over
# (model setup x scheduler x a grid of any keys), to stdout:
#   jobs/make-points.sh SETUPS SCHEDULERS CONCURRENCIES > points.tsv
#   jobs/make-points.sh SETUPS SCHEDULERS KEY=V1,V2 [KEY=W1,W2...] > points.tsv
# each a comma-separated list, e.g.
#   jobs/make-points.sh configs/paper/qwen3-30b-1gpu.yaml sieve,pimoe 1,16,256 > points.tsv
#   jobs/make-points.sh configs/quickstart.yaml sieve workload.requests.closed.concurrency=4,64 \
#     placement.policy=contiguous,eplb > points.tsv
# One line per point, "SETUP<TAB>SCHEDULER<TAB>CONCURRENCY" or
# "SETUP<TAB>SCHEDULER<TAB>KEY=VALUE<TAB>KEY=VALUE...", setups as absolute paths (the jobs may
# run in another directory); line i (from 0, not counting '#' lines) is array task i. A plain
# file rather than arguments of the job so that the task list can be read, edited (drop the
# points already done) and checked before anything is submitted.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: jobs/make-points.sh SETUPS SCHEDULERS CONCURRENCIES > points.tsv
       jobs/make-points.sh SETUPS SCHEDULERS KEY=V1,V2,... [KEY=W1,W2,...]... > points.tsv

SETUPS: comma-separated experiment files (e.g. configs/paper/qwen3-30b-1gpu.yaml,configs/quickstart.yaml)
SCHEDULERS: comma-separated scheduler names (gpu-only, noexp, allexp, pimoe, duplex, sieve, oracle)
CONCURRENCIES: comma-separated positive integers (workload.requests.closed.concurrency)
KEY=V1,V2,...: a dotted experiment key and its values; several run as a grid (the cross product,
  the first key outermost), the points named as `sievesim run --sweep K1=.. --sweep K2=..` names them
Prints one "SETUP<TAB>SCHEDULER<TAB>CONCURRENCY" (or "...<TAB>KEY=VALUE<TAB>KEY=VALUE...") line
per combination (setup outermost, the last key innermost) after a '#' header line.
USAGE
}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  usage
  exit 0
fi
# (Several lists after the schedulers only as KEY=VALUES: concurrencies are one list.)
if [[ $# -lt 3 ]] || { [[ $# -gt 3 ]] && [[ $3 != *=* ]]; }; then
  usage >&2
  exit 2
fi
bad() {
  echo "make-points: $*" >&2
  exit 2
}

IFS=, read -r -a setups <<<"$1"
IFS=, read -r -a schedulers <<<"$2"
((${#setups[@]} > 0)) || bad "no setup given"
((${#schedulers[@]} > 0)) || bad "no scheduler given"
shift 2

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

# combos: the sweep part of every point (tab-separated), the first key outermost.
combos=("")
if [[ $1 != *=* ]]; then
  IFS=, read -r -a concurrencies <<<"$1"
  ((${#concurrencies[@]} > 0)) || bad "no concurrency given"
  for c in "${concurrencies[@]}"; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || bad "concurrency '$c' is not a positive integer"
  done
  combos=("${concurrencies[@]}")
  header=concurrency
else
  keys=()
  for spec in "$@"; do
    key=${spec%%=*}
    [[ $key =~ ^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$ ]] || bad "'$spec': '$key' is not a dotted key"
    for k in "${keys[@]}"; do [[ $k != "$key" ]] || bad "'$key' is swept twice"; done
    keys+=("$key")
    IFS=, read -r -a values <<<"${spec#*=}"
    ((${#values[@]} > 0)) || bad "'$spec': no values"
    next=()
    for c in "${combos[@]}"; do
      for v in "${values[@]}"; do
        [[ -n $v && $v != *$'\t'* ]] || bad "'$spec': an empty value"
        next+=("${c:+$c$'\t'}$key=$v")
      done
    done
    combos=("${next[@]}")
  done
  header=$(IFS=$'\t'; echo "${keys[*]/%/=VALUE}")
fi

printf '# setup\tscheduler\t%s\n' "$header"
for s in "${abs[@]}"; do
  for k in "${schedulers[@]}"; do
    for c in "${combos[@]}"; do
      printf '%s\t%s\t%s\n' "$s" "$k" "$c"
    done
  done
done
