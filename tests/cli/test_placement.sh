#!/usr/bin/env bash
# The shipped placement experiment (configs/placement/), reduced: one run per policy from a YAML
# sweep of names, the report's placement table, migration within the sieve policy's budget, and
# the same result on 2 ranks; a load file seeds the initial placement.
source "$(dirname "$0")/common.sh" "$@"
need_python
CFG=$SRC/configs/placement/qwen3.5-397b-8gpu-drift.yaml
small=(-p workload.requests.closed.concurrency=32 -p workload.requests.output=20 -q)

step "contiguous / eplb / sieve placement, swept from the YAML"
must_succeed "run the placement sweep" "$SIEVESIM" run "$CFG" "${small[@]}" -o drift.h5
must_succeed "report" "$SIEVESIM" report drift.h5 --csv csv
contains last.out "sweep of placement.policy" "sweep table"
contains last.out "placement: imbalance (max/mean node per layer)" "placement table"
"$PY" - <<'PY' || fail "placement figures"
import csv
rows = {r["sweep_value"]: r for r in csv.DictReader(open("csv/summary.csv"))}
assert set(rows) == {"contiguous", "eplb", "sieve"}, set(rows)
gb = {k: int(v["bytes_moved"]) for k, v in rows.items()}
reb = {k: int(v["rebalances"]) for k, v in rows.items()}
# 20 decode iterations (the first 4 are warm-up): windows of 8 end after iterations 7 and 15.
assert reb == {"contiguous": 0, "eplb": 2, "sieve": 2}, reb
assert gb["contiguous"] == 0 and gb["eplb"] > gb["sieve"] > 0, gb
assert gb["sieve"] <= 2 * 4e9, "sieve policy exceeded its 4 GB budget per rebalance"
for k, v in rows.items():
    assert int(v["requests_finished"]) == 32, (k, v["requests_finished"])
    assert 1.0 <= float(v["node_time_imbalance"]) < 8 and 1.0 <= float(v["node_token_imbalance"]) < 8
# EPLB balances tokens: its token imbalance is below contiguous placement's.
assert float(rows["eplb"]["node_token_imbalance"]) < float(rows["contiguous"]["node_token_imbalance"])
print("placement ok", gb)
PY
ok "rebalances, bytes within budget, EPLB balances tokens"

step "same result on 2 ranks"
must_succeed "2 ranks" mpirun_np 2 "$SIEVESIM" run "$CFG" "${small[@]}" -p sweep.values=[sieve] -o r2.h5
h5diff drift.h5 r2.h5 "/runs/sieve@policy=sieve/placement" "/runs/sieve@policy=sieve/placement" >/dev/null ||
  h5diff drift.h5 r2.h5 "/runs/policy=sieve/placement" "/runs/policy=sieve/placement" >/dev/null ||
  fail "/placement of the sieve policy differs between 1 and 2 ranks"
ok "identical /placement on 1 and 2 ranks"

step "a load file seeds the initial placement"
"$PY" - <<'PY'
import h5py
with h5py.File("drift.h5", "r") as f:
    run = [k for k in f["runs"] if k.endswith("contiguous")][0]
    t = f["runs"][run]["expert_load"]
    with open("load.csv", "w") as out:
        out.write("layer,expert,tokens\n")
        for l, e, n in zip(t["layer"][()], t["expert"][()], t["tokens"][()]):
            out.write(f"{l},{e},{n}\n")
PY
must_succeed "eplb from load.csv" "$SIEVESIM" run "$CFG" "${small[@]}" -p sweep=null \
  -p placement.policy=eplb -p placement.rebalance_every=0 -p placement.load_file="$WORK/load.csv" -o seeded.h5
must_succeed "eplb from the warm-up batch" "$SIEVESIM" run "$CFG" "${small[@]}" -p sweep=null \
  -p placement.policy=eplb -p placement.rebalance_every=0 -o warm.h5
"$PY" - <<'PY' || fail "the load file must change EPLB's initial placement"
import h5py, numpy as np
a = h5py.File("seeded.h5", "r")["expert_load"]["replicas"][()]
b = h5py.File("warm.h5", "r")["expert_load"]["replicas"][()]
assert not np.array_equal(a, b)
PY
ok "a given load file places differently than the warm-up estimate"
rc=0
"$SIEVESIM" run "$CFG" "${small[@]}" -p sweep=null -p placement.load_file="$WORK/load.csv" -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q "placement.load_file: the 'contiguous' placement does not use loads" err.txt ||
  { show err.txt >&2; fail "a load file for a static policy must be exit 2"; }
ok "a load file for contiguous placement is rejected"
passed
