#!/usr/bin/env bash
# A killed run keeps its finished points (issue 17, item 3): a 4-point sweep on 2 MPI ranks is
# stopped midway with SIGTERM and with SIGKILL (and on one process with SIGINT) (to every rank, as the OOM killer or Slurm after
# its grace time would), each once at least one point has finished. The SIGTERM goes to one rank
# only: the ranks agree in a collective, so the other one stops at the same iteration too (and
# rank 0, which got no signal, reports it). (mpirun passes a SIGTERM of its own on to the ranks
# only after odls_base_sigkill_timeout, 1 s, too late for a test of this size to rely on.) the finished points stay readable in OUT.h5.partial/, and `--resume`
# (on 2 ranks, and on 1) runs only the rest into a file whose results are those of an
# uninterrupted run: bench/result_digest.py, which leaves out only what says how and when a run
# happened (date, wall time, command line, ranks), gives identical digests. A resume with
# another configuration is refused; a finished OUT.h5 is extended by a point added to the sweep.
source "$(dirname "$0")/common.sh" "$@"
need_python
# Each point 16 decode iterations; the first has 32 requests, the others 512 to 1024.
# (Not -q: the resumed runs log the points they keep.)
RUN=(run "$QUICKSTART" -p workload.requests.output=16 -o out.h5)
SWEEP=(--sweep workload.requests.closed.concurrency=32,512,768,1024)
digest() { "$PY" "$SRC/bench/result_digest.py" "$1"; }
finished_points() { find out.h5.partial -maxdepth 1 -name '*.h5' 2>/dev/null | wc -l; }

step "an uninterrupted run on 2 ranks: the reference"
mkdir ref && cd ref
must_succeed "run the 4-point sweep" mpirun_np 2 "$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}"
[[ -f out.h5 && ! -e out.h5.partial ]] || fail "the reference left out.h5.partial or wrote no out.h5"
digest out.h5 >../ref.digest
rc=0
"$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" -q -p workload.seed=2 --resume >bad.out 2>bad.err || rc=$?
[[ $rc -eq 2 ]] && grep -qF "out.h5: config: the finished point 'concurrency=32' was run with another" bad.err ||
  { show bad.err >&2; fail "a resume of out.h5 with another seed must be refused, got exit $rc"; }
[[ ! -e out.h5.partial ]] && digest out.h5 | cmp -s - ../ref.digest ||
  fail "a refused resume left out.h5.partial behind or changed out.h5"
cd ..
ok "ref/out.h5: $(grep -c '^/runs/[^/]* ' ref.digest) runs"

# start_and_wait DIR: starts the sweep on 2 ranks in DIR in the background (PID in RUN_PID) and
# returns once DIR/out.h5.partial holds a finished point.
start_and_wait() {
  mkdir "$1" && cd "$1"
  # (mpiexec itself, not the mpirun_np function: $! must be mpiexec's pid, not a subshell's.)
  "$MPIEXEC" --oversubscribe -np 2 "$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" >run.out 2>run.err &
  RUN_PID=$!
  local i
  for ((i = 0; i < 1200; i++)); do
    (($(finished_points) > 0)) && return
    kill -0 "$RUN_PID" 2>/dev/null || { show run.err >&2; fail "the run ended before a point finished"; }
    sleep 0.05
  done
  fail "no point finished within 60 s"
}

# check_kept: out.h5 absent, 1 to 3 finished points in out.h5.partial, each a readable result
# holding one run of the sweep.
check_kept() {
  [[ ! -e out.h5 ]] || fail "a stopped run left out.h5"
  local n
  n=$(finished_points)
  ((n >= 1 && n <= 3)) || { ls -l out.h5.partial >&2; fail "expected 1 to 3 finished points, found $n"; }
  "$PY" - out.h5.partial/*.h5 <<'EOF' || fail "a kept point is not a readable result (see above)"
import sys, h5py
for p in sys.argv[1:]:
    with h5py.File(p, "r") as f:
        runs = list(f["runs"])
        assert len(runs) == 1 and runs[0].startswith("concurrency="), (p, runs)
        assert f["runs"][runs[0]]["summary"].attrs["requests_finished"] > 0, p
EOF
  ok "$n of 4 points kept, each readable with h5py"
}

step "SIGTERM to one rank: both stop at the same iteration, the finished points stay"
start_and_wait term
rank_pids=$(ps -o pid= --ppid "$RUN_PID" | tr -d ' ')
[[ $(wc -w <<<"$rank_pids") -eq 2 ]] || fail "expected 2 rank processes under mpirun $RUN_PID, got: $rank_pids"
kill -TERM "$(tail -n 1 <<<"$rank_pids")"
rc=0
wait "$RUN_PID" || rc=$?
((rc != 0)) || fail "a run stopped by SIGTERM exited 0"
contains run.err "sievesim: stopped by SIGTERM" "the stop is reported"
contains run.err "with --resume runs the rest" "the message says how to go on"
ok "mpirun exited $rc with: $(grep -m1 'stopped by' run.err)"
check_kept
kept=$(finished_points)

step "--resume with another configuration is refused"
rc=0
"$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" -q -p workload.seed=2 --resume >bad.out 2>bad.err || rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] &&
  grep -qF "config: the finished point 'concurrency=" bad.err &&
  grep -qF "was run with another configuration than the one given" bad.err ||
  { show bad.err >&2; fail "expected exit 2 and one line about the configuration, got exit $rc"; }
[[ $(finished_points) -eq $kept && ! -e out.h5 ]] || fail "a refused resume touched the kept points"
ok "exit 2: $(cat bad.err)"
rc=0
"$SIEVESIM" "${RUN[@]}" -q --sweep workload.requests.closed.concurrency=512,768 --resume >bad.out 2>bad.err || rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] && grep -qF "which this experiment does not run" bad.err ||
  { show bad.err >&2; fail "a kept point outside the sweep must be refused, got exit $rc"; }
ok "a kept point the sweep does not have: exit 2"

step "--resume on 2 ranks: only the rest runs; the results equal the uninterrupted run's"
must_succeed "resume" mpirun_np 2 "$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" --resume
[[ $(grep -c "finished earlier, kept from" "$WORK/last.err") -eq $kept ]] ||
  { show "$WORK/last.err" >&2; fail "expected $kept points kept, not run again"; }
[[ -f out.h5 && ! -e out.h5.partial ]] || fail "resume left out.h5.partial or wrote no out.h5"
digest out.h5 >resumed.digest
diff ../ref.digest resumed.digest >&2 || fail "the resumed file's results differ from the uninterrupted run's"
cd ..
ok "identical digests (every dataset and attribute but date, wall time, command line, ranks)"

step "SIGKILL to every rank: the finished points stay"
start_and_wait kill
ranks=$(ps -o pid= --ppid "$RUN_PID" | tr -d ' ' | tr '\n' ' ')
[[ -n $ranks ]] || fail "no rank processes under mpirun $RUN_PID"
# shellcheck disable=SC2086  # one pid a word
kill -KILL $ranks
wait "$RUN_PID" || true
check_kept
kept=$(finished_points)
must_succeed "resume on 1 rank" "$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" --resume
[[ $(grep -c "finished earlier" "$WORK/last.err") -eq $kept ]] || { show "$WORK/last.err" >&2; fail "expected $kept points kept"; }
digest out.h5 >resumed.digest
diff ../ref.digest resumed.digest >&2 || fail "the file resumed after SIGKILL differs from the uninterrupted run's"
ok "identical digests after SIGKILL and a resume on another rank count"

step "SIGINT (Ctrl-C) to a run without mpirun: exit 130, the finished points stay"
mkdir int && cd int
# (A background job of a script starts with SIGINT ignored, which sievesim respects; env
# restores the default so that the signal is delivered as from a terminal.)
env --default-signal=INT "$SIEVESIM" "${RUN[@]}" "${SWEEP[@]}" >run.out 2>run.err &
RUN_PID=$!
for ((i = 0; i < 1200; i++)); do
  (($(finished_points) > 0)) && break
  sleep 0.05
done
kill -INT "$RUN_PID"
rc=0
wait "$RUN_PID" || rc=$?
[[ $rc -eq 130 ]] || { show run.err >&2; fail "a run stopped by SIGINT exited $rc, expected 130"; }
contains run.err "sievesim: stopped by SIGINT" "the stop is reported"
check_kept
cd ..
ok "exit 130, the finished points kept"

step "--resume of a finished file with a point added; a plain rerun discards what is left"
must_succeed "resume with concurrency 16 added" "$SIEVESIM" "${RUN[@]}" --resume \
  --sweep workload.requests.closed.concurrency=16,32,512,768,1024
[[ $(grep -c "finished earlier, kept from out.h5" "$WORK/last.err") -eq 4 ]] ||
  { show "$WORK/last.err" >&2; fail "the 4 points of out.h5 must be kept"; }
"$PY" - out.h5 <<'EOF' || fail "the extended file (see above)"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert list(f["runs"]) == [f"concurrency={c}" for c in (16, 32, 512, 768, 1024)], list(f["runs"])
EOF
digest out.h5 | grep -v -e '^/ ' -e '^/runs ' -e '^/runs/concurrency=16' >extended.digest
grep -v -e '^/ ' -e '^/runs ' ../ref.digest | diff - extended.digest >&2 || fail "the kept points changed"
ok "out.h5 now has 5 points in sweep order, the 4 earlier ones unchanged"
mkdir -p left.h5.partial && cp out.h5 left.h5.partial/concurrency=32.h5
must_succeed "a run without --resume" "$SIEVESIM" run "$QUICKSTART" -q -p workload.requests.output=2 \
  --sweep workload.requests.closed.concurrency=8 -o left.h5
contains "$WORK/last.err" "discarded 1 finished point(s)" "the discarded points are named in a warning"
[[ -f left.h5 && ! -e left.h5.partial ]] || fail "left.h5.partial was not replaced"
ok "without --resume an earlier run's points are discarded, with a warning"
passed
