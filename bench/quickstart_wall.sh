#!/usr/bin/env bash
# Wall time of the quickstart experiment at 1, 2 and 4 ranks (best of 3), to track simulator
# speed from commit to commit:  bash bench/quickstart_wall.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
source "$root/scripts/mpi-env.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores"
for ranks in 1 2 4; do
  best=""
  for rep in 1 2 3; do
    start=$(date +%s.%N)
    if [[ $ranks -eq 1 ]]; then
      "$build/sievesim" run "$root/configs/quickstart.yaml" -o "$out/q.h5" -q
    else
      mpirun --oversubscribe -np "$ranks" "$build/sievesim" run "$root/configs/quickstart.yaml" \
        -o "$out/q.h5" -q
    fi
    t=$(echo "$(date +%s.%N) - $start" | bc)
    if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
  done
  tokens=$(h5dump -a /summary/output_tokens "$out/q.h5" | awk '/\(0\)/{print $2}')
  printf "ranks %d: %.2f s wall, %s simulated output tokens, %.0f tokens per wall second\n" \
    "$ranks" "$best" "$tokens" "$(echo "$tokens / $best" | bc -l)"
done
