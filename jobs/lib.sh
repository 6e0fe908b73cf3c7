# Shared by the scripts in jobs/: finding the sievesim binary, reading a points file, launching
# one run inside or outside a Slurm job. Source it after setting SIEVESIM_ROOT (the repository);
# the caller has `set -euo pipefail`. Nothing here is run on its own.
# shellcheck shell=bash disable=SC2034  # POINT_* and LAUNCHER are for the callers

# die CODE MESSAGE: one line on stderr naming the script, then exit CODE (2 = bad input).
die() {
  local code=$1
  shift
  echo "${SCRIPT_NAME:-${0##*/}}: $*" >&2
  exit "$code"
}

# sievesim_bin: prints the binary to run. SIEVESIM_BIN wins, then SIEVESIM_BUILD_DIR/sievesim,
# then <repo>/build/sievesim (what scripts/build.sh makes) — the same order as run-local.sh.
sievesim_bin() {
  local bin=${SIEVESIM_BIN:-${SIEVESIM_BUILD_DIR:-$SIEVESIM_ROOT/build}/sievesim}
  [[ -x $bin ]] || die 2 "sievesim binary '$bin' not found or not executable; build first" \
    "(bash scripts/build.sh) or set SIEVESIM_BIN"
  realpath "$bin"
}

# points_lines FILE: prints the points of a points file, one point a line, in order, without
# comments (#) and blank lines. Task i of a sweep is line i (from 0).
points_lines() {
  [[ -f $1 && -r $1 ]] || die 2 "points file '$1' not found"
  grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -- "$1" || true
}

# points_count FILE: how many points (array tasks) the file has.
points_count() {
  local n
  n=$(points_lines "$1" | wc -l)
  echo $((n))
}

# point FILE INDEX: sets POINT_SETUP, POINT_SCHEDULER, POINT_SWEEPS (KEY=VALUE, one per swept
# key), POINT_TEXT (the point for the log) and POINT_ARGS (the `sievesim run` arguments of the
# point) from point INDEX (0-based); exit 2 if the index is out of range or the line is
# malformed. A line is SETUP<TAB>SCHEDULER<TAB>CONCURRENCY (a concurrency sweep) or
# SETUP<TAB>SCHEDULER<TAB>KEY=VALUE[<TAB>KEY=VALUE...] (one point of a grid).
point() {
  local file=$1 index=$2 line n fields f
  [[ $index =~ ^[0-9]+$ ]] || die 2 "task index '$index' is not a non-negative integer"
  n=$(points_count "$file")
  ((index < n)) || die 2 "$file has $n points; there is no point $index"
  line=$(points_lines "$file" | sed -n "$((index + 1))p")
  IFS=$'\t' read -r -a fields <<<"$line"
  local expected="expected SETUP<TAB>SCHEDULER<TAB>CONCURRENCY or SETUP<TAB>SCHEDULER<TAB>KEY=VALUE..."
  ((${#fields[@]} >= 3)) || die 2 "$file point $index: $expected, got '$line'"
  POINT_SETUP=${fields[0]}
  POINT_SCHEDULER=${fields[1]}
  [[ -n $POINT_SETUP && -n $POINT_SCHEDULER ]] || die 2 "$file point $index: $expected, got '$line'"
  [[ -f $POINT_SETUP ]] || die 2 "$file point $index: setup '$POINT_SETUP' not found"
  POINT_SWEEPS=()
  if [[ ${fields[2]} != *=* ]]; then
    ((${#fields[@]} == 3)) || die 2 "$file point $index: $expected, got '$line'"
    [[ ${fields[2]} =~ ^[1-9][0-9]*$ ]] ||
      die 2 "$file point $index: concurrency '${fields[2]}' is not a positive integer"
    POINT_SWEEPS=("workload.requests.closed.concurrency=${fields[2]}")
  else
    for f in "${fields[@]:2}"; do
      [[ $f =~ ^[A-Za-z0-9_.-]+=[^,]+$ ]] ||
        die 2 "$file point $index: '$f' is not KEY=VALUE (one value, no comma)"
      POINT_SWEEPS+=("$f")
    done
  fi
  POINT_TEXT="${POINT_SWEEPS[*]}"
  # One-value sweeps (rather than -p KEY=VALUE) so the result file records the swept keys and
  # values, and the merged report tells the points apart (and groups a grid's points).
  POINT_ARGS=("$POINT_SETUP" --schedulers "$POINT_SCHEDULER")
  for f in "${POINT_SWEEPS[@]}"; do POINT_ARGS+=(--sweep "$f"); done
}

# check_run_options ARGS...: exit 2 if the pass-through `sievesim run` options name what a sweep
# task sets itself (the output file, the scheduler, the swept key).
check_run_options() {
  local a
  for a in "$@"; do
    case $a in
      -o | --output | --output=* | -o?*) die 2 "'$a': a sweep task chooses its own output file" ;;
      --schedulers | --schedulers=* | --sweep | --sweep=* | --baseline | --baseline=*)
        die 2 "'$a': the points file sets the scheduler and the swept values" ;;
    esac
  done
}

# slurm_has_pmix: true when this Slurm's srun can wire up MPI ranks itself through PMIx.
slurm_has_pmix() {
  command -v srun >/dev/null 2>&1 || return 1
  # `srun --mpi=list` prints the plugin names indented, one a line (22.05: on stderr).
  srun --mpi=list 2>&1 | grep -Eq '^[[:space:]]+(pmix|pmix_v[0-9]+)[[:space:]]*$'
}

# launch ARGS...: runs `sievesim ARGS...` with the ranks of the current Slurm job step
# (SLURM_NTASKS), or as one process outside Slurm. SIEVESIM_LAUNCHER=srun|mpirun|direct forces a
# launcher; the default (auto) takes srun --mpi=pmix when Slurm offers PMIx, since then Slurm
# itself starts, binds and cleans up the ranks, and mpirun otherwise (OpenMPI's mpirun reads the
# allocation from the Slurm environment). LAUNCHER is set to what was used, for the log.
launch() {
  local bin mode=${SIEVESIM_LAUNCHER:-auto} ntasks=${SLURM_NTASKS:-1}
  bin=$(sievesim_bin)
  if [[ -z ${SLURM_JOB_ID:-} && $mode == auto ]]; then
    mode=direct
  elif [[ $mode == auto ]]; then
    if slurm_has_pmix; then mode=srun; else mode=mpirun; fi
  fi
  # OpenMPI refuses to run as root unless told, and small machines have fewer cores than ranks.
  # shellcheck source=../scripts/mpi-env.sh
  source "$SIEVESIM_ROOT/scripts/mpi-env.sh"
  LAUNCHER=$mode
  case $mode in
    srun) srun --mpi=pmix --ntasks="$ntasks" "$bin" "$@" ;;
    mpirun) mpirun --oversubscribe -np "$ntasks" "$bin" "$@" ;;
    direct) "$bin" "$@" ;;
    *) die 2 "SIEVESIM_LAUNCHER='$mode' is not one of auto, srun, mpirun, direct" ;;
  esac
}
