#!/usr/bin/env bash
# Submits a sweep to Slurm: a job array with one task per point of a points file
# (jobs/sweep-array.sbatch) and the aggregation (jobs/aggregate.sbatch) with
# --dependency=afterok on the array, so the merged table is built once every point has
# succeeded (and never from a sweep with a failed point). Prints the two job ids.
#   jobs/submit-sweep.sh [options] POINTS [-- sievesim run options...]
set -euo pipefail
# shellcheck disable=SC2034  # read by die() in lib.sh
SCRIPT_NAME=submit-sweep.sh
SIEVESIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$SIEVESIM_ROOT/jobs/lib.sh"

usage() {
  cat <<'EOF'
usage: jobs/submit-sweep.sh [options] POINTS [-- sievesim run options...]

Submits one array task per point of POINTS (jobs/make-points.sh) and the aggregation job.
Task i writes RESULTS/<array job>/<i>.h5; the aggregation writes RESULTS/<array job>/report.txt
and RESULTS/<array job>/csv/summary.csv (one row per point). Slurm logs go to RESULTS/logs/.
Options:
  -n, --ntasks R        MPI ranks per point (default 1; system.nodes must be a multiple of R)
  -r, --results DIR     where the results go (default ./results)
  -p, --max-parallel K  run at most K tasks at once (sbatch --array=...%K)
  -b, --baseline NAME   scheduler the merged report compares against
  -H, --hold            submit the array held: nothing runs until `scontrol release <array job>`
  -s, --sbatch OPT      one more sbatch option for both jobs (repeat), e.g. -s --partition=gpu
                        -s --time=02:00:00 -s --account=proj
  -h, --help            this text
Options after -- go to every `sievesim run` (e.g. --max-iterations 8, -p key=value).
Prints array_job=ID, aggregate_job=ID and results=DIR, one a line.
Environment: SIEVESIM_BIN or SIEVESIM_BUILD_DIR (default <repo>/build/sievesim); the jobs
inherit the environment of this shell.
EOF
}

ntasks=1
results=results
max_parallel=
hold=()
report_opts=()
sbatch_opts=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    -n | --ntasks) ntasks=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -r | --results) results=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -p | --max-parallel) max_parallel=${2:-}; shift 2 || die 2 "$1 needs a value" ;;
    -b | --baseline) report_opts=(--baseline "${2:-}"); shift 2 || die 2 "$1 needs a value" ;;
    -H | --hold) hold=(--hold); shift ;;
    -s | --sbatch) sbatch_opts+=("${2:-}"); shift 2 || die 2 "$1 needs a value" ;;
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

[[ $ntasks =~ ^[1-9][0-9]*$ ]] || die 2 "--ntasks '$ntasks' is not a positive integer"
[[ -z $max_parallel || $max_parallel =~ ^[1-9][0-9]*$ ]] ||
  die 2 "--max-parallel '$max_parallel' is not a positive integer"
[[ -n $results ]] || die 2 "--results is empty"
command -v sbatch >/dev/null || die 2 "sbatch not found: no Slurm on this machine (jobs/sweep-local.sh runs the sweep without it)"
check_run_options "${run_opts[@]}"

# Everything is checked before the first sbatch: a bad point would otherwise fail only when its
# task is scheduled, after the rest of the array has spent its time.
n=$(points_count "$points")
((n > 0)) || die 2 "points file '$points' has no points"
for ((i = 0; i < n; i++)); do point "$points" "$i"; done
points=$(realpath "$points")
bin=$(sievesim_bin)
mkdir -p -- "$results/logs"
results=$(realpath "$results")
# The jobs may start in another environment (another node, a fresh login shell): tell them
# where the repository and the binary are. --export=ALL,... cannot carry a comma.
[[ $SIEVESIM_ROOT$bin != *,* ]] || die 2 "the repository or binary path contains a comma, which sbatch --export cannot pass"
export_opt=--export=ALL,SIEVESIM_ROOT=$SIEVESIM_ROOT,SIEVESIM_BIN=$bin

array=0-$((n - 1))${max_parallel:+%$max_parallel}
# --parsable prints "ID" or "ID;CLUSTER".
array_job=$(sbatch --parsable "${hold[@]}" "${sbatch_opts[@]}" "$export_opt" --array="$array" \
  --ntasks="$ntasks" --output="$results/logs/sweep-%A_%a.out" \
  "$SIEVESIM_ROOT/jobs/sweep-array.sbatch" "$points" "$results" "${run_opts[@]}")
array_job=${array_job%%;*}
[[ $array_job =~ ^[0-9]+$ ]] || die 1 "sbatch printed '$array_job', not a job id"
# --kill-on-invalid-dep: if a task fails the dependency can never be met; cancel the aggregation
# rather than leave it pending in the queue for ever.
if ! aggregate_job=$(sbatch --parsable "${sbatch_opts[@]}" "$export_opt" \
  --dependency="afterok:$array_job" --kill-on-invalid-dep=yes --output="$results/logs/aggregate-%j.out" \
  "$SIEVESIM_ROOT/jobs/aggregate.sbatch" "$points" "$results/$array_job" "${report_opts[@]}"); then
  # Without its aggregation the array would compute results nobody merges: take it back.
  scancel "$array_job" || true
  die 1 "submitting the aggregation failed; cancelled array job $array_job"
fi
aggregate_job=${aggregate_job%%;*}
echo "array_job=$array_job"
echo "aggregate_job=$aggregate_job"
echo "results=$results/$array_job"
