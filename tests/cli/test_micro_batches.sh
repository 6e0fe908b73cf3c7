# system.micro_batches from the command line: a bad value is one error line (exit 2); params
# documents the key; with 2 micro-batches the result files of 1, 2 and 4 ranks are identical,
# /layers has a row per micro-batch and layer, and the output tokens are those of the run
# without micro-batches.
# usage: bash test_micro_batches.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python

step "bad values"
for v in 0 3 two; do
  rc=0
  "$SIEVESIM" run "$QUICKSTART" -p system.micro_batches=$v -o bad.h5 -q >bad.out 2>bad.err || rc=$?
  [[ $rc -eq 2 ]] || { show bad.err >&2; fail "micro_batches=$v: exit $rc, expected 2"; }
  [[ $(wc -l <bad.err) -eq 1 ]] || { show bad.err >&2; fail "micro_batches=$v: not one line"; }
  contains bad.err "error: " "micro_batches=$v"
  contains bad.err "system.micro_batches" "micro_batches=$v"
  [[ ! -e bad.h5 && ! -e bad.h5.partial ]] || fail "micro_batches=$v left a result file"
  ok "micro_batches=$v -> $(cat bad.err)"
done

step "documented"
must_succeed "sievesim params" "$SIEVESIM" params
contains last.out "system.micro_batches" "params"

step "2 micro-batches on 1, 2 and 4 ranks"
ARGS=(-p system.micro_batches=2 -p workload.requests.output=3 -q)
must_succeed "1 rank" "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" --nodes-per-rank 4 -o np1.h5
must_succeed "2 ranks" mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" -o np2.h5
must_succeed "4 ranks" mpirun_np 4 "$SIEVESIM" run "$QUICKSTART" "${ARGS[@]}" -o np4.h5
must_succeed "without micro-batches" "$SIEVESIM" run "$QUICKSTART" -p workload.requests.output=3 \
  -q --nodes-per-rank 4 -o mb1.h5
for np in 2 4; do
  same_groups np1.h5 np$np.h5 /layers /iterations /summary /requests
done

"$PY" - np1.h5 mb1.h5 >check.out 2>&1 <<'EOF' || { show check.out >&2; fail "micro-batch rows"; }
import sys, h5py, numpy as np
two, one = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
mb = two["layers/micro_batch"][:]
assert set(mb.tolist()) == {0, 1}, set(mb.tolist())
assert len(mb) == 2 * len(one["layers/layer"]), (len(mb), len(one["layers/layer"]))
assert not one["layers/micro_batch"][:].any()
for k in ("output_tokens", "records_dispatched", "records_combined"):
    a, b = two["summary"].attrs.get(k), one["summary"].attrs.get(k)
    if a is None:
        a, b = two["summary"][k][()], one["summary"][k][()]
    assert np.array_equal(a, b), (k, a, b)
print("ok")
EOF
ok "a row per micro-batch; output tokens and pairs as without micro-batches"
passed
