#!/usr/bin/env bash
# Issue 15's experiments: do the schedulers' ranking and ratios survive real routing? GPT-OSS-20B
# (configs/gpt-oss-20b/) on 1 and 4 GPUs with PIM, every scheduler, concurrency 16/64/256, on
#   (a) its own recorded routing (the 136 requests of ../shared/traces/gpt-oss-20b replayed token
#       by token, each request with its recorded prompt and output length),
#   (b) the fitted source learned from those recordings,
#   (c) Zipf s = 0.8 with locality 0.2 (the paper setups' synthetic routing),
# all three with the recorded request lengths, so only the routing differs. Then, on 4 GPUs, the
# placement policies (contiguous, EPLB, affinity by co-activation and by cross-layer succession)
# on the recorded routing, in one server (NVLink) and over four (InfiniBand): all-to-all bytes per
# output token, load imbalance (max / mean tokens over the nodes per layer) and throughput.
#
# Decode runs: every client sends 4 requests one after the other; 400 iterations of which the
# first 100 are warm-up, so the measured batches mix requests at different decode steps (all
# requests start together at step 0, where GPT-OSS's chat-template tokens route alike).
#
#   bash bench/real_routing.sh [build-dir] [out-dir]
#
# Results: OUT-DIR/<setup>-<routing>.h5, OUT-DIR/placement-*.h5 and OUT-DIR/report.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/bench/real-routing-results}
schedulers=${SCHEDULERS:-gpu-only,noexp,allexp,pimoe,duplex,sieve}
mkdir -p "$out"
out=$(cd "$out" && pwd)
trace=$out/gpt-oss-20b.trace.gz
[[ -s $trace ]] || "$build/sievesim" trace-import "$root/../shared/traces/gpt-oss-20b" -o "$trace"
report=$out/report.txt
echo "sievesim real-routing experiments, commit $(git -C "$root" rev-parse --short HEAD)," \
  "$(date -u +%Y-%m-%d), schedulers $schedulers" >"$report"
common=(-q -p "workload.requests.prompt.trace.path=$trace" -p "workload.requests.output.trace.path=$trace"
  -p "workload.routing.trace.path=$trace" -p "workload.routing.fitted.path=$trace"
  -p workload.requests.closed.per_client=4 -p workload.max_iterations=400
  -p workload.warmup_iterations=100)
for setup in 1gpu 4gpu; do
  for routing in trace fitted zipf; do
    start=$(date +%s)
    "$build/sievesim" run "$root/configs/gpt-oss-20b/$setup.yaml" --schedulers "$schedulers" \
      --baseline sieve -o "$out/$setup-$routing.h5" "${common[@]}" \
      -p workload.routing.source=$routing 2>/dev/null
    {
      echo
      echo "=== GPT-OSS-20B, $setup, $routing routing ($(($(date +%s) - start)) s wall) ==="
      "$build/sievesim" report "$out/$setup-$routing.h5" | sed 1d
    } | tee -a "$report"
  done
done

# Placement: sieve scheduler, recorded routing, per-layer rows for bytes and imbalance.
for fabric in nvlink ib; do
  gps=4
  [[ $fabric == ib ]] && gps=1
  for spec in contiguous eplb affinity:co-activation affinity:cross-layer; do
    policy=${spec%%:*}
    extra=()
    [[ $spec == *:* ]] && extra=(-p "placement.affinity.objective=${spec#*:}")
    "$build/sievesim" run "$root/configs/gpt-oss-20b/4gpu.yaml" "${common[@]}" \
      -o "$out/placement-$fabric-${spec/:/-}.h5" -p output.layers=true \
      -p system.gpus_per_server=$gps -p placement.policy=$policy "${extra[@]}" \
      --sweep workload.requests.closed.concurrency=64,256 2>/dev/null
  done
done
{
  echo
  echo "=== GPT-OSS-20B, 4 GPUs, recorded routing, sieve: placement policies ==="
  /usr/bin/python3 "$root/bench/placement_traffic.py" "$out"/placement-*.h5
} | tee -a "$report"
echo "report: $report"
