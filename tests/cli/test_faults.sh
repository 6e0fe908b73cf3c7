#!/usr/bin/env bash
# Simulated faults (`faults:`): a node fails, its requests are requeued (or dropped), the experts
# whose last copy it held are re-placed on survivors within their spare HBM, the cluster pauses,
# the node rejoins; stragglers slow a node's GPU and PIM. Checked: results identical on 1, 2 and
# 4 ranks (jittered stragglers included); token conservation with drops counted; every request
# finished or counted as dropped; no node holds more expert copies than its HBM allows; nothing
# runs while the cluster recovers; a straggler makes the run slower.
# usage: bash test_faults.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python

# Node 1 fails after iteration 3 and rejoins after iteration 12; node 3 runs its GPU 1.5x slower
# and every PIM jitters per iteration. Short pauses keep the run small.
FAULTS=(-p 'faults.fail_nodes=[1]' -p 'faults.fail_at_iteration=[3]'
  -p 'faults.rejoin_at_iteration=[12]' -p faults.recovery_pause_s=0.02
  -p faults.reintegration_pause_s=0.01 -p 'faults.straggler_nodes=[3]'
  -p 'faults.gpu_slowdown=[1.5]' -p faults.pim_jitter_sigma=0.2
  -p workload.requests.output=32)

step "a failure, a rejoin and stragglers on 1, 2 and 4 ranks"
must_succeed "run on 1 rank x 4 nodes" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 "${FAULTS[@]}" -o np1.h5 -q
must_succeed "mpirun -np 2" mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" "${FAULTS[@]}" -o np2.h5 -q
must_succeed "mpirun -np 4" mpirun_np 4 "$SIEVESIM" run "$QUICKSTART" "${FAULTS[@]}" -o np4.h5 -q
for f in np2.h5 np4.h5; do
  for g in /layers /iterations /summary /requests /faults; do
    h5diff -c np1.h5 "$f" "$g" "$g" >h5diff.out 2>&1 || { show h5diff.out >&2; fail "$g differs between np1.h5 and $f"; }
  done
done
ok "/layers /iterations /summary /requests /faults identical across rank layouts"

step "conservation, recovery within HBM, the pause"
"$PY" - np1.h5 >check.out <<'PY' || { show check.out >&2; fail "fault invariants"; }
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
s = f["summary"].attrs
assert s["records_dispatched"] == s["records_combined"], "pairs lost between dispatch and combine"
assert s["records_dropped"] == 0, "experts were re-placed: nothing may drop"
assert s["requests_requeued"] > 0, "the failed node held requests"
assert s["requests_finished"] == s["requests"], "every requeued request must finish"
req = f["requests"]
ids = req["request"][:]
assert len(np.unique(ids)) == len(ids) == s["requests"], "each request exactly once"
ft = f["faults"]
ev, node = ft["event"][:], ft["node"][:]
assert list(ev) == [0, 1] and list(node) == [1, 1], (ev, node)
assert ft["replicas_added"][0] > 0 and ft["experts_unplaced"][0] == 0
assert ft["bytes_reloaded"][0] == ft["bytes_moved"][0], "contiguous: no survivor held node 1's experts"
assert ft["replicas_removed"][1] == ft["replicas_added"][0], "rejoin takes every extra copy back"
# Nothing starts while the cluster recovers: the next iteration starts at the resume time.
it = f["iterations"]
for k in range(2):
    i = ft["iteration"][k]
    assert it["start_ps"][i + 1] >= ft["resume_ps"][k], "an iteration ran during a pause"
    assert ft["resume_ps"][k] == ft["at_ps"][k] + ft["pause_ps"][k] + ft["migration_ps"][k]
# While node 1 is down it has no layer rows; before and after it does.
lay = f["layers"]
n, li = lay["node"][:], lay["iteration"][:]
down = (n == 1) & (li > 3) & (li <= 12)
assert not down.any(), "a failed node ran layers"
assert ((n == 1) & (li <= 3)).any() and ((n == 1) & (li > 12)).any()
print("ok")
PY
ok "pairs dispatched = combined, 0 dropped, every request finished once, no layer on the failed node, no work during pauses"

step "report names the failure, the resume and the recovery"
must_succeed "report np1.h5" "$SIEVESIM" report np1.h5
contains last.out "node 1 failed" "the failure"
contains last.out "requests requeued" "the requeued requests"
contains last.out "node 1 rejoined" "the rejoin"
contains last.out "95% of the throughput before it" "the recovery line"
ok "report lists the fault events"

step "without re-placement, tokens of the lost experts drop and are counted; dropped requests too"
must_succeed "run with replace_experts=false, on_failure=drop" \
  "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 "${FAULTS[@]}" -p faults.replace_experts=false \
  -p faults.on_failure=drop -o drop.h5 -q
"$PY" - drop.h5 >check.out <<'PY' || { show check.out >&2; fail "drop invariants"; }
import sys, h5py
f = h5py.File(sys.argv[1], "r")
s = f["summary"].attrs
assert s["records_dispatched"] == s["records_combined"]
assert s["records_dropped"] > 0, "tokens routed to node 1's experts while it was down"
assert s["requests_dropped"] > 0 and s["requests_requeued"] == 0
assert s["requests_finished"] + s["requests_dropped"] == s["requests"]
assert f["faults"]["experts_unplaced"][0] > 0 and f["faults"]["experts_unplaced"][1] == 0
k = 8  # top-k of the quickstart model: every token routes k pairs, each dispatched or dropped
lay = f["layers"]
routed = int(lay["tokens_out"][:].sum()) + int(s["records_dropped"])
assert routed % k == 0, routed
print("ok")
PY
ok "dispatched = combined; dropped pairs and requests counted; finished + dropped = requests"

step "a straggler slows the run; told its speed, the scheduler still conserves tokens"
must_succeed "baseline" "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 --max-iterations 6 -o base.h5 -q
must_succeed "node 2 GPU and PIM 2x slower" "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 \
  --max-iterations 6 -p 'faults.straggler_nodes=[2]' -p 'faults.gpu_slowdown=[2]' \
  -p 'faults.pim_slowdown=[2]' -o slow.h5 -q
must_succeed "the same, speed-aware" "$SIEVESIM" run "$QUICKSTART" --nodes-per-rank 4 \
  --max-iterations 6 -p 'faults.straggler_nodes=[2]' -p 'faults.gpu_slowdown=[2]' \
  -p 'faults.pim_slowdown=[2]' -p faults.speed_aware=true -o aware.h5 -q
"$PY" - base.h5 slow.h5 aware.h5 >check.out <<'PY' || { show check.out >&2; fail "straggler"; }
import sys, h5py
b, s, a = (h5py.File(p, "r") for p in sys.argv[1:])
mb, ms = b["summary"].attrs["mean_iteration_ps"], s["summary"].attrs["mean_iteration_ps"]
assert ms > 1.2 * mb, (mb, ms)
# The straggler's own layers: its GPU busy time doubles (same work, half speed).
def busy(f, node):
    l = f["layers"]
    m = l["node"][:] == node
    return l["gpu_busy_ps"][:][m].sum()
assert busy(s, 2) > 1.8 * busy(b, 2), (busy(b, 2), busy(s, 2))
for f in (s, a):
    t = f["summary"].attrs
    assert t["records_dispatched"] == t["records_combined"]
print("ok", mb, ms, a["summary"].attrs["mean_iteration_ps"])
PY
ok "$(cat check.out)"

passed
