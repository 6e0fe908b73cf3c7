#!/usr/bin/env bash
# The three shipped paper setups (configs/paper/): each concurrency sweep runs to the end and
# prints its Pareto table; throughput per GPU rises and interactivity falls with concurrency.
source "$(dirname "$0")/common.sh" "$@"

for cfg in qwen3-30b-1gpu gpt-oss-120b-4gpu qwen3.5-397b-8gpu; do
  step "$cfg"
  ranks=1
  [[ $cfg == gpt-oss-120b-4gpu ]] && ranks=2
  must_succeed "run configs/paper/$cfg.yaml on $ranks rank(s)" mpirun_np "$ranks" "$SIEVESIM" run \
    "$SRC/configs/paper/$cfg.yaml" -o "$cfg.h5"
  contains last.out "sweep of workload.requests.closed.concurrency" "$cfg Pareto table"
  # Rows: scheduler, concurrency, tokens/s/GPU[*], tokens/s/user, TTFT, TPOT, finished.
  sed -n 's/^  sieve \+\([0-9]\+\) \+\([0-9.]\+\)[* ] \+\([0-9.]\+\) .* \([0-9]\+\)\/\([0-9]\+\) *$/\1 \2 \3 \4 \5/p' \
    last.out >rows.txt
  [[ $(wc -l <rows.txt) -eq 9 ]] || { show last.out >&2; fail "$cfg: expected 9 sweep rows"; }
  awk 'NR > 1 && !($2 > t && $3 <= u) { bad = 1 } $4 != $5 { bad = 1 } { t = $2; u = $3 }
       END { exit bad }' rows.txt ||
    { show rows.txt >&2; fail "$cfg: throughput must rise, interactivity fall, every request finish"; }
  ok "$cfg: 9 points, concurrency 1..256, throughput up and interactivity down, all finished"
done
echo "test_paper: all checks passed in ${SECONDS}s"
