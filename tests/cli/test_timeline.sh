# sievesim timeline: one run's /layers as a Chrome trace-event file for ui.perfetto.dev. The file
# must pass trace_event_check.py (the format, named processes and tracks, slices that nest and
# never overlap partially on a track), hold one layer slice per /layers row of the selected
# iterations and nodes, at that row's start, and show the units a scheduler uses (gpu-only: no
# PIM slices). The checker itself must reject broken traces.
# usage: bash test_timeline.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python
CHECK=$SRC/tests/cli/trace_event_check.py

step "the checker rejects what the format forbids"
meta='{"name":"process_name","ph":"M","pid":1,"args":{"name":"n"}},
      {"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"t"}}'
x() { echo "{\"name\":\"$1\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":$2,\"dur\":$3}"; }
echo "{\"traceEvents\":[$meta, $(x a 0 10), $(x b 2 3), $(x c 10 1)]}" >good.json
must_succeed "nested and adjacent slices pass" "$PY" "$CHECK" good.json
declare -A bad=(
  [partial_overlap]="{\"traceEvents\":[$meta, $(x a 0 10), $(x b 5 10)]}"
  [negative_dur]="{\"traceEvents\":[$meta, $(x a 0 -1)]}"
  [string_ts]="{\"traceEvents\":[$meta, $(x a '"0"' 1)]}"
  [unnamed_track]="{\"traceEvents\":[$meta, {\"name\":\"a\",\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":0,\"dur\":1}]}"
  [begin_end_events]="{\"traceEvents\":[$meta, {\"name\":\"a\",\"ph\":\"B\",\"pid\":1,\"tid\":1,\"ts\":0}]}"
  [no_event_list]='{"events":[]}'
)
for name in "${!bad[@]}"; do
  echo "${bad[$name]}" >"$name.json"
  if "$PY" "$CHECK" "$name.json" >check.out; then fail "the checker passed $name.json"; fi
  ok "rejected: $name  ->  $(head -1 check.out)"
done

step "a run of 4 nodes and 3 iterations"
must_succeed "run" "$SIEVESIM" run "$QUICKSTART" --max-iterations 3 --nodes-per-rank 4 -o q.h5 -q
must_succeed "timeline q.h5" "$SIEVESIM" timeline q.h5 -o all.json
[[ ! -s last.out && ! -e all.json.partial ]] || fail "timeline printed something or left a .partial"
must_succeed "all.json passes the format and nesting checks" "$PY" "$CHECK" all.json all.sum
must_succeed "timeline --iterations 1:2 --nodes 2:3" \
  "$SIEVESIM" timeline q.h5 --iterations 1:2 --nodes 2:3 -o part.json
must_succeed "part.json passes the checks" "$PY" "$CHECK" part.json part.sum

# compare SUMMARY ITERATIONS NODES: one layer slice per non-empty /layers row in range, at its
# start; every node a process with all five tracks in use (dispatch, experts and combine with
# PIM attention under sieve).
compare() {
  "$PY" - q.h5 "$@" <<'EOF'
import json, sys, h5py
path, summary, (i0, i1), (n0, n1) = sys.argv[1], sys.argv[2], *(map(int, a.split(":")) for a in sys.argv[3:5])
s = json.load(open(summary))
t = {k: h5py.File(path, "r")["layers"][k][:] for k in ("node", "iteration", "layer", "start_ps", "end_ps")}
want = sorted((int(n) + 1, int(i), int(l), int(s0) // 1000)
              for n, i, l, s0, e0 in zip(*(t[k] for k in ("node", "iteration", "layer", "start_ps", "end_ps")))
              if i0 <= i <= i1 and n0 <= n <= n1 and e0 // 1000 > s0 // 1000)
got = sorted(tuple(r) for r in s["layers"])
assert got == want, f"layer slices differ from /layers: {len(got)} slices, {len(want)} rows; first differences {[(a, b) for a, b in zip(got, want) if a != b][:3]}"
pids = {int(k.split("/")[0]) for k in s["tracks"]}
assert pids == set(range(n0 + 1, n1 + 2)), f"processes {sorted(pids)}, expected nodes {n0}..{n1}"
for p in pids:
    for tid in range(1, 6):
        assert s["tracks"].get(f"{p}/{tid}", 0) > 0, f"node {p - 1}: track {tid} has no slices"
print(len(got), "layer slices")
EOF
}
must_succeed "all.json: every /layers row a layer slice at its start, 4 nodes x 5 tracks" \
  compare all.sum 0:2 0:3
contains last.out "576 layer slices" "all.json layer count (3 iterations x 48 layers x 4 nodes)"
must_succeed "part.json: iterations 1..2 of nodes 2..3 only" compare part.sum 1:2 2:3

step "a comparison: --point picks the run; gpu-only puts nothing on the PIM"
must_succeed "run --schedulers gpu-only,sieve" \
  "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 --nodes-per-rank 4 --schedulers gpu-only,sieve \
  -o cmp.h5 -q
rc=0
"$SIEVESIM" timeline cmp.h5 -o cmp.json 2>err.txt || rc=$?
[[ $rc -eq 2 && $(wc -l <err.txt) -eq 1 && ! -e cmp.json ]] &&
  grep -qF "cmp.h5: --point: the file holds 2 runs; name one of: gpu-only, sieve" err.txt ||
  { show err.txt >&2; fail "a file of two runs without --point must be exit 2 naming them"; }
ok "without --point: exit 2 naming the runs"
for run in gpu-only sieve; do
  must_succeed "timeline --point $run" "$SIEVESIM" timeline cmp.h5 --point $run -o $run.json
  must_succeed "$run.json passes the checks" "$PY" "$CHECK" $run.json $run.sum
done
"$PY" - gpu-only.sum sieve.sum <<'EOF' || fail "PIM tracks do not follow the schedulers"
import json, sys
g, s = (json.load(open(p))["tracks"] for p in sys.argv[1:])
assert all(g.get(f"{p}/3", 0) == 0 for p in range(1, 5)), "gpu-only has PIM slices"
assert all(s.get(f"{p}/3", 0) > 0 for p in range(1, 5)), "sieve has no PIM slices"
EOF
ok "gpu-only: no PIM slices; sieve: PIM slices on every node"

passed
