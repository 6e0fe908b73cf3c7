# Shared by the wall-time benches (startup.sh, peer_speed.sh); source it with the script's
# arguments [BUILD_DIR] [REPS] and a default for REPS:
#   source "$(dirname "${BASH_SOURCE[0]}")/wall_time.sh" "${1:-}" "${2:-}" 20
# Sets ROOT (the source tree), bin (the sievesim binary), reps and work (a scratch folder removed
# at exit), and defines median_ns CMD...: the median wall nanoseconds of `reps` runs of CMD
# (its output discarded).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$ROOT/build}/sievesim
reps=${2:-$3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median_ns() {
  local t=() s e
  for _ in $(seq "$reps"); do
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s%N)
    t+=($((e - s)))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
