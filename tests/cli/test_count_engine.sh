# system.engine from the command line: a bad value, trace routing and a per-token replica
# choice under the count engine are one error line each naming the key (exit 2); params
# documents the key; with `engine: counts` the result files of 1, 2 and 4 ranks are identical
# and the run conserves its (token, expert) pairs.
# usage: bash test_count_engine.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python

refused() {  # refused EXPERIMENT KEY ARGS...: exit 2, one line, naming KEY, no result file
  local experiment=$1 key=$2
  shift 2
  local rc=0
  "$SIEVESIM" run "$experiment" -p system.engine=counts "$@" -o bad.h5 -q >bad.out 2>bad.err ||
    rc=$?
  [[ $rc -eq 2 ]] || { show bad.err >&2; fail "$*: exit $rc, expected 2"; }
  [[ $(wc -l <bad.err) -eq 1 ]] || { show bad.err >&2; fail "$*: not one line"; }
  contains bad.err "$key" "$*"
  [[ ! -e bad.h5 && ! -e bad.h5.partial ]] || fail "$* left a result file"
  ok "$* -> $(cat bad.err)"
}

step "refused"
refused "$QUICKSTART" system.engine -p system.engine=records
refused "$QUICKSTART" placement.replica_dispatch -p placement.policy=eplb \
  -p placement.replica_dispatch=least-loaded
refused "$QUICKSTART" placement.replica_dispatch -p placement.replica_dispatch=nearest
refused "$QUICKSTART" workload.routing.source -p workload.routing.source=trace \
  -p workload.routing.trace.path=absent.trace
refused "$QUICKSTART" workload.routing.source -p workload.routing.source=fitted \
  -p workload.routing.fitted.path=absent.trace

step "documented"
must_succeed "sievesim params" "$SIEVESIM" params
contains last.out "system.engine" "params"

step "counts on 1, 2 and 4 ranks"
ARGS=(-p system.engine=counts -p workload.requests.output=4 -p workload.routing.zipf.locality=0.2
  -p placement.policy=eplb -p placement.eplb.redundant_experts=8 -q)
must_succeed "1 rank" "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" --nodes-per-rank 4 -o np1.h5
must_succeed "2 ranks" mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" -o np2.h5
must_succeed "4 ranks" mpirun_np 4 "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" -o np4.h5
for np in 2 4; do
  same_groups np1.h5 np$np.h5 /layers /iterations /summary /requests /expert_load
done

"$PY" - np1.h5 >check.out 2>&1 <<'EOF' || { show check.out >&2; fail "pairs"; }
import sys, h5py
f = h5py.File(sys.argv[1], "r")
s = f["summary"]
get = lambda k: s.attrs[k] if k in s.attrs else s[k][()]
assert get("records_dispatched") == get("records_combined") > 0
assert f["layers/tokens_in"][:].sum() == get("records_dispatched")
print("ok")
EOF
ok "every pair dispatched came back"
passed
