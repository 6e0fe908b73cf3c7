#!/usr/bin/env bash
# The sweep of jobs/submit-sweep.sh on one machine without Slurm: the same points file, the same
# layout (RESULTS/<id>/<i>.h5) and the same aggregation (jobs/aggregate.sbatch run with bash),
# the points one after another, each with R MPI ranks through jobs/run-local.sh. For a laptop,
# a workstation, or checking a sweep before sending it to a cluster: results depend only on the
# configuration and the seed, so the numbers match the cluster's.
#   jobs/sweep-local.sh [-n R] [-r RESULTS] [--id ID] POINTS [-- sievesim run options...]
set -euo pipefail
# shellcheck disable=SC2034  # read by die() in lib.sh
SCRIPT_NAME=sweep-local.sh
SIEVESIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$SIEVESIM_ROOT/jobs/lib.sh"

usage() {
  cat <<'EOF'
usage: jobs/sweep-local.sh [options] POINTS [-- sievesim run options...]

Runs every point of POINTS (jobs/make-points.sh) in order with jobs/run-local.sh, point i
writing RESULTS/ID/<i>.h5 (log RESULTS/logs/ID_<i>.out), then merges them as the Slurm
aggregation does: RESULTS/ID/report.txt and RESULTS/ID/csv/summary.csv.
Options:
  -n, --ranks R        MPI ranks per point (default 1: no mpirun)
  -r, --results DIR    where the results go (default ./results)
  -i, --id ID          the sweep's directory name (default local-<date>-<time>); an existing
                       RESULTS/ID is replaced
  -b, --baseline NAME  scheduler the merged report compares against
  -h, --help           this text
Options after -- go to every `sievesim run` (e.g. --max-iterations 8, -p key=value).
Environment: SIEVESIM_BIN or SIEVESIM_BUILD_DIR (default <repo>/build/sievesim).
EOF
}

ranks=1
results=results
id=local-$(date +%Y%m%d-%H%M%S)
report_opts=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    -n | --ranks) ranks=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -r | --results) results=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -i | --id) id=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -b | --baseline) report_opts=(--baseline "${2:-}"); shift 2 || die 2 "$1 needs a value" ;;
    --) die 2 "no points file before --" ;;
    -*) die 2 "unknown option '$1' (see --help)" ;;
    *) break ;;
  esac
done
if [[ $# -lt 1 ]]; then
  usage >&2
  exit 2
fi
points=$1
shift
if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || die 2 "unexpected '$1': sievesim run options go after --"
  shift
fi
run_opts=("$@")
[[ $ranks =~ ^[1-9][0-9]*$ ]] || die 2 "--ranks '$ranks' is not a positive integer"
[[ $id =~ ^[A-Za-z0-9._-]+$ && $id != . && $id != .. ]] || die 2 "--id '$id' is not a plain directory name"
[[ -n $results ]] || die 2 "--results is empty"
check_run_options "${run_opts[@]}"
n=$(points_count "$points")
((n > 0)) || die 2 "points file '$points' has no points"
for ((i = 0; i < n; i++)); do point "$points" "$i"; done
sievesim_bin >/dev/null

run_dir=$results/$id
rm -rf -- "$run_dir"
mkdir -p -- "$run_dir" "$results/logs"
for ((i = 0; i < n; i++)); do
  point "$points" "$i"
  out=$run_dir/$i.h5
  log=$results/logs/${id}_$i.out
  echo "point $i/$n: setup ${POINT_SETUP##*/}, scheduler $POINT_SCHEDULER, $POINT_TEXT -> $out"
  if ! bash "$SIEVESIM_ROOT/jobs/run-local.sh" "$ranks" "${POINT_ARGS[@]}" "${run_opts[@]}" \
    -o "$out" >"$log" 2>&1; then
    sed -n '1,20s/^/  | /p' "$log" >&2
    die 1 "point $i failed (log: $log); the sweep stops here, without aggregation"
  fi
done
bash "$SIEVESIM_ROOT/jobs/aggregate.sbatch" "$points" "$run_dir" "${report_opts[@]}"
