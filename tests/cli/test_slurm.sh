#!/usr/bin/env bash
# The Slurm job scripts (jobs/) against a real Slurm started here on localhost: munged,
# slurmctld and slurmd run from a slurm.conf written below (one node, this machine, no cgroups,
# no accounting), a sweep of quickstart (2 schedulers x 2 concurrencies) runs as a job array
# with 2 MPI ranks per task (srun --mpi=pmix) and the dependent aggregation merges it; a failed
# task must keep the aggregation from running; run.sbatch runs once through mpirun; and
# jobs/sweep-local.sh must produce the same merged table without Slurm. The daemons are stopped
# at exit whatever happens. Needs root (SlurmUser=root) and Debian's slurm-wlm and munge
# (scripts/install-deps.sh).
source "$(dirname "$0")/common.sh" "$@"
JOBS=$SRC/jobs
export SIEVESIM_BIN=$SIEVESIM
# Passed through to every run: 8 output tokens a request, so each point is 8 decode iterations
# after which every request has finished (each closed-loop client sends one).
ITER=(-p workload.requests.output=8)

# --- the scripts' own checks, no Slurm needed -----------------------------------------------------
step "scripts: --help and bad input"
for s in make-points.sh submit-sweep.sh sweep-local.sh run.sbatch sweep-array.sbatch aggregate.sbatch; do
  bash "$JOBS/$s" --help >help.txt 2>&1 || { show help.txt >&2; fail "$s --help failed"; }
  grep -q '^usage:' help.txt || fail "$s --help prints no usage line"
done
ok "every script has --help"
# expect_rc CODE TEXT CMD...: CMD exits CODE and says TEXT on stderr.
expect_rc() {
  local want=$1 text=$2 rc=0
  shift 2
  "$@" >bad.out 2>bad.err || rc=$?
  [[ $rc -eq $want ]] && grep -qF -- "$text" bad.err ||
    { show bad.err >&2; fail "$*: expected exit $want and '$text', got exit $rc"; }
}
expect_rc 2 "setup 'nope.yaml' not found" bash "$JOBS/make-points.sh" nope.yaml sieve 4
expect_rc 2 "concurrency '0' is not a positive integer" bash "$JOBS/make-points.sh" "$QUICKSTART" sieve 4,0
expect_rc 2 "usage:" bash "$JOBS/make-points.sh" "$QUICKSTART" sieve
bash "$JOBS/make-points.sh" "$QUICKSTART" sieve,pimoe 4,16 >points.tsv
[[ $(grep -vc '^#' points.tsv) -eq 4 ]] || { show points.tsv >&2; fail "make-points: expected 4 points"; }
[[ $(sed -n 3p points.tsv) == "$QUICKSTART"$'\t'sieve$'\t'16 ]] ||
  { show points.tsv >&2; fail "make-points: setup outermost, concurrency innermost, tab-separated"; }
ok "make-points: 4 points in order, bad setups and concurrencies rejected"
printf '%s\tsieve\n' "$QUICKSTART" >short.tsv
expect_rc 2 "expected SETUP<TAB>SCHEDULER<TAB>CONCURRENCY" bash "$JOBS/sweep-local.sh" short.tsv
expect_rc 2 "a sweep task chooses its own output file" bash "$JOBS/sweep-local.sh" points.tsv -- -o x.h5
expect_rc 2 "sets the scheduler" bash "$JOBS/submit-sweep.sh" points.tsv -- --schedulers sieve
expect_rc 2 "points file 'none.tsv' not found" bash "$JOBS/submit-sweep.sh" none.tsv
expect_rc 2 "not a job array task" bash "$JOBS/sweep-array.sbatch" points.tsv results
mkdir -p partial && : >partial/0.h5
expect_rc 1 "lacks 1.h5 2.h5 3.h5" bash "$JOBS/aggregate.sbatch" points.tsv partial
expect_rc 2 "'/nonexistent' not found" env SIEVESIM_BIN=/nonexistent bash "$JOBS/sweep-local.sh" points.tsv
ok "malformed points, forbidden options, missing results and binary: exit 2 / 1 with a message"

# --- a Slurm cluster of one node on localhost -------------------------------------------------
step "start munged, slurmctld and slurmd"
for d in munged mungekey slurmctld slurmd sbatch srun squeue sinfo scontrol scancel; do
  command -v "$d" >/dev/null || fail "$d not found: install slurm-wlm and munge (bash scripts/install-deps.sh)"
done
[[ $(id -u) -eq 0 ]] || fail "this test runs slurmd as root (SlurmUser=root); run it as root"
# Client commands must talk to this cluster only, also when the test itself runs inside a job.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^SLURM_' || true)
SL=$WORK/slurm
mkdir -p "$SL/state" "$SL/log"
# munge checks that no one else can write along the paths of its key, log and socket (each
# directory up to / must be unwritable by group and others, unless sticky) and wants the
# socket directory executable by everyone; a UNIX socket path has at most 107 bytes, and slurmd
# puts one socket per job step in its spool directory. A deep work directory (a CI clone, a
# group-writable or mode-700 home) can break all of that, so munge's files and slurmd's spool
# live in a short directory under /tmp, removed at exit; the rest stays under WORK.
RUNDIR=$(mktemp -d /tmp/sievesim-slurm.XXXXXX)
mkdir -p "$RUNDIR/spool" "$RUNDIR/munge"
chmod 755 "$RUNDIR" "$RUNDIR/munge"
MUNGE=$RUNDIR/munge
PIDS=()
cleanup() {
  local rc=$? p i
  set +e
  [[ -n ${WATCHDOG:-} ]] && kill "$WATCHDOG" 2>/dev/null && wait "$WATCHDOG" 2>/dev/null
  if [[ -f $SL/slurm.conf ]] && ((${#PIDS[@]} > 0)); then
    # Stopping slurmd leaves running job steps alive (by design, for restarts): cancel every
    # job of this cluster first and give the steps a moment to go.
    scancel --quiet --user=root 2>/dev/null
    for ((i = 0; i < 20; i++)); do
      [[ -z $(squeue -h -t running,completing -o %i 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    # (A daemon that has exited stays a zombie child of this shell until waited for.)
    for ((i = 0; i < 20; i++)); do
      [[ $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) == [^Z] ]] || break
      sleep 0.25
    done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  cp -f "$MUNGE/munged.log" "$SL/log/" 2>/dev/null
  rm -rf -- "$RUNDIR"
  if [[ $rc -ne 0 ]]; then
    for f in "$SL"/log/*.log; do
      [[ -f $f ]] || continue
      echo "--- last lines of ${f##*/}" >&2
      tail -n 15 "$f" | sed 's/^/      | /' >&2
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free TCP ports on the loopback for slurmctld and slurmd (another Slurm may hold the
# defaults 6817/6818).
read -r CTLD_PORT SLURMD_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
NODE=$(hostname -s)
# 2 CPUs at least, so that a 2-rank task fits on the node (config_overrides below lets slurmd
# take the configured count over the detected one on a 1-core machine).
CPUS=$(nproc)
((CPUS >= 2)) || CPUS=2
mungekey --create --keyfile="$MUNGE/munge.key" --force
cat >"$SL/slurm.conf" <<EOF
# Written by tests/cli/test_slurm.sh: one node (this machine) on the loopback.
ClusterName=sievesim-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE/munge.sock
StateSaveLocation=$SL/state
SlurmdSpoolDir=$RUNDIR/spool
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd.pid
SlurmctldLogFile=$SL/log/slurmctld.log
SlurmdLogFile=$SL/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: the test machines are containers whose cgroup tree Slurm may not manage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
InactiveLimit=0
KillWait=5
# Finished jobs stay visible to scontrol for 10 minutes: the checks read their states and times.
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$SL/slurm.conf
munged --foreground --key-file="$MUNGE/munge.key" --socket="$MUNGE/munge.sock" \
  --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munged.seed" \
  >"$SL/log/munged.out" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -S $MUNGE/munge.sock ]] && break; sleep 0.1; done
munge --socket="$MUNGE/munge.sock" --no-input | unmunge --socket="$MUNGE/munge.sock" >munge.txt 2>&1 ||
  { show "$SL/log/munged.out" >&2; show munge.txt >&2; fail "munged does not work"; }
ok "munged: a credential encodes and decodes"
slurmctld -D -f "$SLURM_CONF" >"$SL/log/slurmctld.out" 2>&1 &
PIDS=("$!" "${PIDS[@]}")
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$SL/log/slurmd.out" 2>&1 &
PIDS=("$!" "${PIDS[@]}")
# If this script is killed outright (SIGKILL, e.g. by a test-runner timeout) its EXIT trap never
# runs: a watchdog in its own session does the same once this shell is gone (cancel the jobs,
# stop the daemons by pid, remove the /tmp directory).
# shellcheck disable=SC2016  # expanded by the watchdog's bash
RUNDIR=$RUNDIR setsid bash -c '
  while kill -0 "$1" 2>/dev/null; do sleep 2; done
  shift
  scancel --quiet --user=root
  for ((i = 0; i < 20; i++)); do
    [[ -z $(squeue -h -t running,completing -o %i) ]] && break
    sleep 0.5
  done
  kill -TERM "$@"
  sleep 2
  rm -rf -- "$RUNDIR"' watchdog $$ "${PIDS[@]}" </dev/null >/dev/null 2>&1 &
WATCHDOG=$!
state=
for ((i = 0; i < 120; i++)); do
  state=$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.5
done
[[ $state == idle ]] || { show "$SL/log/slurmd.out" >&2; fail "node $NODE not idle after 60 s (state '$state')"; }
ok "slurmctld and slurmd up, node $NODE idle with $CPUS CPUs"
srun --mpi=list >mpi.txt 2>&1 || true
grep -Eq '^[[:space:]]+pmix' mpi.txt || { show mpi.txt >&2; fail "this Slurm offers no pmix (srun --mpi=list)"; }
ok "srun offers pmix"

# job_field JOB FIELD: one field of `scontrol show job` (the first line of an array).
job_field() { scontrol show job -o "$1" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# wait_jobs SECONDS ID...: until none of the jobs is pending or running.
wait_jobs() {
  local limit=$1 t=0
  shift
  while [[ -n $(squeue -h -j "$(IFS=,; echo "$*")" -t pending,running,completing -o %i 2>/dev/null) ]]; do
    ((t < limit * 2)) || { squeue >&2; fail "jobs $* still queued after $limit s"; }
    sleep 0.5
    t=$((t + 1))
  done
}

# --- the sweep as a job array plus the dependent aggregation ------------------------------------
step "submit-sweep.sh: array of 4 points x 2 ranks (held), aggregation afterok"
must_succeed "submit-sweep.sh --hold -n 2" bash "$JOBS/submit-sweep.sh" --hold -n 2 -r results points.tsv -- "${ITER[@]}"
array_job=$(sed -n 's/^array_job=//p' last.out)
agg_job=$(sed -n 's/^aggregate_job=//p' last.out)
[[ $array_job =~ ^[0-9]+$ && $agg_job =~ ^[0-9]+$ ]] || { show last.out >&2; fail "submit-sweep printed no job ids"; }
[[ $(sed -n 's/^results=//p' last.out) == $WORK/results/$array_job ]] || { show last.out >&2; fail "results directory"; }
ok "array job $array_job, aggregation job $agg_job"
# While the array is held the aggregation must wait on it: the dependency is on the array.
# (The scheduler fills in the reason on its next pass; the held array keeps it pending.)
for ((i = 0; i < 40; i++)); do [[ $(job_field "$agg_job" Reason) == Dependency ]] && break; sleep 0.25; done
[[ $(job_field "$agg_job" JobState) == PENDING && $(job_field "$agg_job" Reason) == Dependency ]] ||
  { scontrol show job "$agg_job" >&2; fail "the aggregation must be pending on its dependency"; }
[[ $(job_field "$agg_job" Dependency) == afterok:${array_job}_\*\(unfulfilled\) ]] ||
  fail "aggregation dependency is '$(job_field "$agg_job" Dependency)', expected afterok:${array_job}_*"
[[ $(job_field "$array_job" ArrayTaskId) == 0-3 && $(job_field "$array_job" NumTasks) == 2 ]] ||
  { scontrol show job "$array_job" >&2; fail "expected array tasks 0-3 of 2 tasks each"; }
ok "aggregation pending on afterok:${array_job}_*, array 0-3 with 2 ranks each"
scontrol release "$array_job"
wait_jobs 400 "$array_job" "$agg_job"
ok "array and aggregation left the queue"

step "the sweep's results"
RES=results/$array_job
end_max=0
for t in 0 1 2 3; do
  st=$(scontrol show job -o "${array_job}_$t" | tr ' ' '\n' | sed -n 's/^JobState=//p')
  [[ $st == COMPLETED ]] || { show "results/logs/sweep-${array_job}_$t.out" >&2; fail "task $t ended $st"; }
  [[ -f $RES/$t.h5 ]] || fail "task $t wrote no $RES/$t.h5"
  grep -q "done with srun" "results/logs/sweep-${array_job}_$t.out" ||
    { show "results/logs/sweep-${array_job}_$t.out" >&2; fail "task $t did not launch with srun --mpi=pmix"; }
  [[ $(h5attr "$RES/$t.h5" / ranks) == 2 ]] || fail "task $t did not run on 2 MPI ranks"
  e=$(date -d "$(scontrol show job -o "${array_job}_$t" | tr ' ' '\n' | sed -n 's/^EndTime=//p')" +%s)
  ((e > end_max)) && end_max=$e
done
ok "4 tasks COMPLETED, $RES/{0..3}.h5 written, each on 2 ranks started by srun --mpi=pmix"
[[ $(job_field "$agg_job" JobState) == COMPLETED ]] ||
  { show "results/logs/aggregate-$agg_job.out" >&2; fail "aggregation ended $(job_field "$agg_job" JobState)"; }
agg_start=$(date -d "$(job_field "$agg_job" StartTime)" +%s)
((agg_start >= end_max)) || fail "aggregation started at $agg_start, before the last task ended ($end_max)"
ok "aggregation COMPLETED and started after the last task ended"
[[ -s $RES/report.txt ]] || fail "no $RES/report.txt"
contains "$RES/report.txt" "merged:" "the kept report has the merged table"
# check_summary CSV: one row per point, in points order, with its scheduler and swept value.
check_summary() {
  "$PY" - "$1" <<'EOF' || fail "$1 (see above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = [("sieve", 4), ("sieve", 16), ("pimoe", 4), ("pimoe", 16)]
assert len(rows) == 4, f"{len(rows)} rows, expected 4"
for i, (r, (sched, conc)) in enumerate(zip(rows, want)):
    assert r["file"].endswith(f"/{i}.h5"), (i, r["file"])
    assert r["scheduler"] == sched, (i, r["scheduler"])
    assert r["sweep_key"] == "workload.requests.closed.concurrency", (i, r["sweep_key"])
    assert float(r["sweep_value"]) == conc, (i, r["sweep_value"])
    assert r["run"] == f"{sched}@concurrency={conc}", (i, r["run"])
    assert int(r["nodes"]) == 4 and int(r["iterations"]) == 8, (i, r["nodes"], r["iterations"])
    assert int(r["output_tokens"]) == 8 * conc, (i, r["output_tokens"])
    assert int(r["requests_finished"]) == conc, (i, r["requests_finished"])
    assert float(r["throughput_tokens_per_s_per_gpu"]) > 0, i
EOF
}
check_summary "$RES/csv/summary.csv"
ok "summary.csv: 4 rows (sieve, pimoe) x (4, 16) in points order"

# --- a failed task keeps the aggregation from running -------------------------------------------
step "a sweep with a failing point: no aggregation"
{ sed -n 2p points.tsv; printf '%s\tno-such-scheduler\t4\n' "$QUICKSTART"; } >failing.tsv
must_succeed "submit-sweep.sh failing.tsv" bash "$JOBS/submit-sweep.sh" -r results failing.tsv -- "${ITER[@]}"
fail_array=$(sed -n 's/^array_job=//p' last.out)
fail_agg=$(sed -n 's/^aggregate_job=//p' last.out)
wait_jobs 200 "$fail_array" "$fail_agg"
st0=$(scontrol show job -o "${fail_array}_0" | tr ' ' '\n' | sed -n 's/^JobState=//p')
st1=$(scontrol show job -o "${fail_array}_1" | tr ' ' '\n' | sed -n 's/^JobState=//p')
[[ $st0 == COMPLETED && $st1 == FAILED ]] || fail "tasks ended $st0 and $st1, expected COMPLETED and FAILED"
grep -q "unknown scheduler 'no-such-scheduler'" "results/logs/sweep-${fail_array}_1.out" ||
  { show "results/logs/sweep-${fail_array}_1.out" >&2; fail "the failed task's log names the bad scheduler"; }
# Never started: the controller never allocated it a node, and it has no log (created when a
# job starts). (Its StartTime is no evidence: a cancelled pending job gets its end time.)
[[ $(job_field "$fail_agg" JobState) == CANCELLED && $(job_field "$fail_agg" Reason) == DependencyNeverSatisfied ]] ||
  { scontrol show job "$fail_agg" >&2; fail "the aggregation of a failed sweep must be cancelled unrun"; }
grep -q "Allocate JobId=$agg_job " "$SL/log/slurmctld.log" || fail "slurmctld.log lacks the allocations"
! grep -q "Allocate JobId=$fail_agg " "$SL/log/slurmctld.log" || fail "the failed sweep's aggregation was started"
[[ ! -e results/logs/aggregate-$fail_agg.out && ! -e results/$fail_array/report.txt ]] ||
  fail "a failed sweep was aggregated"
ok "task 1 FAILED, the aggregation was cancelled without running (afterok, kill-on-invalid-dep)"

# --- run.sbatch through the mpirun fallback --------------------------------------------------
step "run.sbatch with mpirun on 2 ranks"
must_succeed "sbatch --wait -n 2 run.sbatch (SIEVESIM_LAUNCHER=mpirun)" env SIEVESIM_LAUNCHER=mpirun \
  timeout 300 sbatch --wait --ntasks=2 --output=run-%j.out "$JOBS/run.sbatch" "$QUICKSTART" \
  --schedulers pimoe --sweep workload.requests.closed.concurrency=16 "${ITER[@]}" -o run.h5
run_job=$(grep -o '[0-9]\+' last.out | tail -n 1)
grep -q "done with mpirun" "run-$run_job.out" || { show "run-$run_job.out" >&2; fail "run.sbatch did not use mpirun"; }
[[ $(h5attr run.h5 / ranks) == 2 ]] || fail "run.sbatch did not run 2 ranks"
h5diff run.h5 "$RES/3.h5" "/runs/pimoe@concurrency=16/summary" "/runs/pimoe@concurrency=16/summary" >/dev/null ||
  fail "run.sbatch's result differs from the same point of the array"
ok "run.sbatch: 2 ranks under mpirun, same /summary as array task 3"

# --- the same sweep without Slurm -----------------------------------------------------------
step "sweep-local.sh: the same points on 1 rank"
must_succeed "sweep-local.sh -n 1 --id local" bash "$JOBS/sweep-local.sh" -n 1 -r results --id local points.tsv -- "${ITER[@]}"
for t in 0 1 2 3; do [[ -f results/local/$t.h5 ]] || fail "sweep-local wrote no results/local/$t.h5"; done
check_summary results/local/csv/summary.csv
"$PY" - "$RES/csv/summary.csv" results/local/csv/summary.csv <<'EOF' || fail "Slurm and local summaries differ (see above)"
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
assert [r.keys() for r in a] == [r.keys() for r in b], "different columns"
for i, (x, y) in enumerate(zip(a, b)):
    for k in x:
        if k != "file":  # the only column that names where the file is
            assert x[k] == y[k], f"row {i} column {k}: slurm {x[k]} local {y[k]}"
print(f"    ok: {len(a)} rows x {len(a[0]) - 1} columns identical")
EOF
ok "sweep-local: the same summary.csv (every figure, throughput included) as the Slurm sweep"
passed
