#!/usr/bin/env bash
# `sievesim run --schedulers`: several schedulers on the identical routing, one result file.
source "$(dirname "$0")/common.sh" "$@"

step "compare three schedulers"
must_succeed "run --schedulers pimoe,sieve,oracle" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 \
  --schedulers pimoe,sieve,oracle --baseline pimoe -o cmp.h5
contains last.out "comparison (each scheduler over pimoe)" "comparison table"
grep -Eq '^  pimoe +[0-9.]+ +[0-9.]+ +[0-9.]+ +1\.000 +1\.000 +[0-9.]+$' last.out || { show last.out >&2; fail "the baseline's ratios must be 1.000"; }
ok "the baseline's ratios are 1"
# Energy: a tokens-per-joule column, positive for every scheduler.
grep -Eq '^  scheduler .* tokens/J$' last.out || { show last.out >&2; fail "no tokens/J column"; }
for s in pimoe sieve oracle; do
  tpj=$(awk -v s="$s" '/^comparison/{t=1; next} t && $1==s{print $NF; exit}' last.out)
  awk -v v="$tpj" 'BEGIN{exit !(v > 0)}' || fail "$s: tokens per joule is '$tpj', expected > 0"
done
ok "tokens per joule reported"
h5dump -H cmp.h5 >header.txt
for g in /runs/pimoe /runs/sieve /runs/oracle; do
  grep -q "GROUP \"${g##*/}\"" header.txt || fail "cmp.h5 lacks $g"
done
ok "one group per scheduler under /runs"

step "each run equals the same scheduler run alone (identical routing)"
must_succeed "run sieve alone" "$SIEVESIM" run "$QUICKSTART" --max-iterations 2 -p scheduler.name=sieve -o sieve.h5 -q
h5diff cmp.h5 sieve.h5 /runs/sieve/layers /layers >/dev/null || fail "/runs/sieve/layers differs from a sieve-only run"
h5diff cmp.h5 sieve.h5 /runs/sieve/summary /summary >/dev/null || fail "/runs/sieve/summary differs from a sieve-only run"
ok "/runs/sieve matches the standalone sieve run"
must_succeed "report on a comparison file" "$SIEVESIM" report cmp.h5
contains last.out "== oracle ==" "report lists every run"

step "bad comparisons"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q --schedulers sieve,pimoe --baseline duplex -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q -- "--baseline: 'duplex' is not one of --schedulers" err.txt ||
  { show err.txt >&2; fail "a baseline outside the list must be exit 2"; }
ok "baseline outside the list rejected"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q --schedulers sieve,bogus -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q "unknown scheduler 'bogus'" err.txt ||
  { show err.txt >&2; fail "an unknown scheduler must be exit 2"; }
ok "unknown scheduler rejected before any simulation"

step "sweep of concurrency x two schedulers on 2 ranks"
must_succeed "run --sweep ...concurrency=4,32 --schedulers sieve,allexp" mpirun_np 2 "$SIEVESIM" run \
  "$QUICKSTART" --max-iterations 3 --sweep workload.requests.closed.concurrency=4,32 \
  --schedulers sieve,allexp -p output.layers=false -o sweep.h5
contains last.out "sweep of workload.requests.closed.concurrency" "Pareto table"
grep -Eq '^  allexp +32 +[0-9.]+[* ] +[0-9.]+ ' last.out || { show last.out >&2; fail "no allexp row at concurrency 32"; }
ok "Pareto table has a row per (scheduler, point)"
# The '*' marks exactly the rows no other row beats in both throughput and interactivity.
awk '/^sweep of/{t=1; next} t && /^  (sieve|allexp) /{print}' last.out | "$PY" -c '
import sys
rows = []
for line in sys.stdin:
    f = line.split()
    star = f[2].endswith("*")
    rows.append((float(f[2].rstrip("*")), float(f[3]), star))
assert len(rows) == 4, rows
for i, (tp, it, star) in enumerate(rows):
    beaten = any(o[0] >= tp and o[1] >= it and (o[0] > tp or o[1] > it) for j, o in enumerate(rows) if j != i)
    assert star == (not beaten), (rows, i)
' || { show last.out >&2; fail "Pareto marks are not the joint front"; }
ok "the Pareto mark is the front over all rows"
"$PY" - sweep.h5 <<'EOF' || fail "sweep.h5 layout (see above)"
import sys, h5py, yaml
f = h5py.File(sys.argv[1], "r")
runs = f["runs"]
def text(v):  # fixed-length HDF5 strings come back as bytes
    return v.decode() if isinstance(v, bytes) else str(v)
assert sorted(runs) == sorted(["sieve@concurrency=4", "sieve@concurrency=32",
                               "allexp@concurrency=4", "allexp@concurrency=32"]), list(runs)
assert text(runs.attrs["sweep_key"]) == "workload.requests.closed.concurrency"
assert text(runs.attrs["baseline"]) == "sieve"
for name, g in runs.items():
    cfg = yaml.safe_load(g.attrs["config"])
    conc = int(g.attrs["sweep_value"])
    assert cfg["workload"]["requests"]["closed"]["concurrency"] == conc, name
    assert cfg["scheduler"]["name"] == text(g.attrs["scheduler"]), name
    assert "layers" not in g, "output.layers=false still wrote /layers"
    # Decode, 3 iterations: every request emits one token per iteration.
    assert int(g["iterations"]["output_tokens"][()].sum()) == 3 * conc, name
    assert g["requests"]["request"].shape == (conc,), name
print("    ok: one group per point with its config, no /layers, tokens add up")
EOF
ok "sweep groups carry their configuration"
must_succeed "sweep point equals the run alone" "$SIEVESIM" run "$QUICKSTART" --max-iterations 3 \
  -p workload.requests.closed.concurrency=32 -p scheduler.name=allexp -o alone.h5 -q
h5diff sweep.h5 alone.h5 "/runs/allexp@concurrency=32/requests" /requests >/dev/null ||
  fail "a sweep point differs from the same run alone"
ok "a sweep point equals the same run alone"

step "sweep from the file's sweep: section"
sed 's/^output:/sweep: {key: workload.requests.output, values: [2, 3]}\noutput:/' "$QUICKSTART" |
  sed "s#\.\./models/#$SRC/models/#" >sweep.yaml
must_succeed "run sweep.yaml" "$SIEVESIM" run sweep.yaml -o fsweep.h5
grep -Eq '^  sieve +3 ' last.out || { show last.out >&2; fail "no row for output=3"; }
ok "the sweep: section runs one point per value"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q --sweep workload.requests.closed.concurency=1,2 -o bad.h5 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e bad.h5 ]] && grep -q "unknown key 'concurency'" err.txt ||
  { show err.txt >&2; fail "a sweep over an unknown key must be exit 2"; }
ok "sweep over an unknown key rejected"
echo "test_compare: all checks passed in ${SECONDS}s"
