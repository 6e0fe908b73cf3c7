#!/usr/bin/env bash
# The fault experiments of bench/RESULTS.md ("Faults and stragglers").
#  1. EEP-shaped node failure (configs/faults/eep-qwen3-30b-24gpu.yaml): Sieve on GPU+PIM against
#     the same cluster serving on its GPUs alone (gpu-only), throughput over time
#     (bench/fault_timeline.py).
#  2. Stragglers on the Qwen3.5-397B paper setup (8 GPUs, 256 requests in flight): one node's GPU
#     and PIM 1.5x slower, the scheduler and the sieve placement told of it or not; and every
#     node jittering per iteration (bench/straggler_table.py).
# usage: bash bench/faults.sh [OUT_DIR] [SIEVESIM_BINARY]     (~15 min on 2 cores)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${1:-$HERE/fault-results}
SIEVESIM=${2:-$ROOT/build/sievesim}
PY=/usr/bin/python3
mkdir -p "$OUT"

EEP=$ROOT/configs/faults/eep-qwen3-30b-24gpu.yaml
for s in sieve gpu-only; do
  [[ -f $OUT/eep-$s.h5 ]] || "$SIEVESIM" run "$EEP" -q -p scheduler.name=$s -o "$OUT/eep-$s.h5"
done
"$PY" "$HERE/fault_timeline.py" --csv "$OUT/eep-timeline.csv" \
  "sieve (GPU+PIM)=$OUT/eep-sieve.h5" "gpu-only=$OUT/eep-gpu-only.h5" | tee "$OUT/eep.md"

Q=$ROOT/configs/paper/qwen3.5-397b-8gpu.yaml
COMMON=(--sweep workload.requests.closed.concurrency=256 -p workload.max_iterations=120
  -p workload.batching.assignment=least-loaded
  -p workload.requests.output=512 -p placement.policy=sieve)
SLOW=(-p 'faults.straggler_nodes=[3]' -p 'faults.gpu_slowdown=[1.5]' -p 'faults.pim_slowdown=[1.5]')
"$SIEVESIM" run "$Q" -q "${COMMON[@]}" -o "$OUT/strag-base.h5"
"$SIEVESIM" run "$Q" -q "${COMMON[@]}" "${SLOW[@]}" --sweep faults.speed_aware=false,true \
  --sweep placement.rebalance_every=0,10 -o "$OUT/strag-one.h5"
"$SIEVESIM" run "$Q" -q "${COMMON[@]}" -p faults.gpu_jitter_sigma=0.15 \
  -p faults.pim_jitter_sigma=0.15 --sweep faults.speed_aware=false,true -o "$OUT/strag-jitter.h5"
"$PY" "$HERE/straggler_table.py" "$OUT/strag-base.h5" "$OUT/strag-one.h5" "$OUT/strag-jitter.h5" |
  tee "$OUT/stragglers.md"
