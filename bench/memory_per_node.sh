#!/usr/bin/env bash
# Memory per simulated node against the cluster size (issue 17 item 5): the quickstart model,
# one request per node, one decode iteration, one rank hosting every node, at 1,024 to 16,384
# nodes. Prints max RSS and the increment per node between sizes: constant when per-node state
# is proportional to what the node touches, growing with the nodes when some state is sized to
# the cluster (as the per-destination dispatch counters were, 20 bytes per node pair: 5.4 GB at
# 16,384 nodes).
#
#   bash bench/memory_per_node.sh [build-dir]     (NODES="1024 4096 16384")
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prev_nodes="" prev_kb=""
echo "nodes | wall s | max RSS MB | KB per extra node"
for n in ${NODES:-1024 4096 16384}; do
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$build/sievesim" run "$root/configs/quickstart.yaml" -q \
    -o "$tmp/out.h5" --max-iterations 1 -p sweep=null -p system.nodes="$n" \
    -p workload.requests.closed.concurrency="$n" -p output.layers=false
  read -r wall kb <"$tmp/time"
  per="-"
  [[ -n $prev_kb ]] && per=$(echo "($kb - $prev_kb) / ($n - $prev_nodes)" | bc -l | xargs printf "%.1f")
  printf "%5d | %6.1f | %10.0f | %s\n" "$n" "$wall" "$(echo "$kb / 1024" | bc -l)" "$per"
  prev_nodes=$n prev_kb=$kb
  rm -f "$tmp/out.h5"
done
