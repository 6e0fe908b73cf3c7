#!/usr/bin/env bash
# Grid sweeps: `--sweep` given for several keys and a `sweep: grid:` section run the cross
# product (times --schedulers), with deterministic names; `report` prints a line per point; the
# job scripts (make-points.sh, sweep-local.sh, aggregate.sbatch) run a grid point by point into
# the same runs; bad grids are exit 2 with one line.
source "$(dirname "$0")/common.sh" "$@"
need_python
# Short runs: 4 output tokens a request, so every point is 4 decode iterations.
SHORT=(-q -p workload.requests.output=4 -p output.layers=false)
CONC=workload.requests.closed.concurrency

# runs_of FILE: the /runs group names in the order written, one a line.
runs_of() {
  "$PY" - "$1" <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
print("\n".join(f["runs"]))  # h5py lists a group with creation order tracked in that order
EOF
}

step "--sweep twice x --schedulers: the cross product, named KEY=VALUE,KEY=VALUE"
must_succeed "run --sweep concurrency=4,8 --sweep placement.policy=contiguous,random --schedulers pimoe,sieve" \
  mpirun_np 2 "$SIEVESIM" run "$QUICKSTART" "${SHORT[@]}" --schedulers pimoe,sieve \
  --sweep "$CONC=4,8" --sweep placement.policy=contiguous,random -o grid.h5
expected=""
for s in pimoe sieve; do
  for c in 4 8; do
    for p in contiguous random; do expected+="$s@concurrency=$c,policy=$p"$'\n'; done
  done
done
[[ $(runs_of grid.h5) == "${expected%$'\n'}" ]] ||
  { runs_of grid.h5 >&2; fail "grid.h5: expected the 8 runs (scheduler, concurrency, policy) in that order"; }
ok "8 runs, scheduler outermost, the last key innermost"
"$PY" - grid.h5 <<'EOF' || fail "grid.h5 attributes and configs (see above)"
import sys, h5py, yaml
f = h5py.File(sys.argv[1], "r")
text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
assert text(f["runs"].attrs["sweep_key"]) == "workload.requests.closed.concurrency,placement.policy"
for name, g in f["runs"].items():
    sched, point = name.split("@")
    assert text(g.attrs["sweep_value"]) == point, (name, g.attrs["sweep_value"])
    assert text(g.attrs["scheduler"]) == sched, name
    c = yaml.safe_load(text(g.attrs["config"]))
    conc, pol = (kv.split("=")[1] for kv in point.split(","))
    assert c["workload"]["requests"]["closed"]["concurrency"] == int(conc), name
    assert c["placement"]["policy"] == pol, name
    assert g["summary"].attrs["requests_finished"] == int(conc), name
print("    ok: sweep_key lists both keys; every run's sweep_value, scheduler and config match its name")
EOF
must_succeed "report grid.h5" "$SIEVESIM" report grid.h5
n=$(grep -cE '^  (pimoe|sieve) +concurrency=[48],policy=(contiguous|random) ' last.out || true)
[[ $n -eq 8 ]] || { show last.out >&2; fail "report: expected one sweep-table line per point (8), got $n"; }
grep -qE '^  scheduler +point +tokens/s/GPU' last.out || { show last.out >&2; fail "the grid table's column must be the point"; }
ok "report prints the sweep table with one line per point"
# Merged from one-point files given out of order, the points come in value order, key by key
# (concurrency=4 before concurrency=16, not as text).
for c in 16 4; do
  must_succeed "point concurrency=$c" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 2 \
    --schedulers sieve --sweep workload.requests.closed.concurrency=$c --sweep placement.policy=contiguous \
    -o one_$c.h5
done
must_succeed "report of two one-point grid files" "$SIEVESIM" report one_16.h5 one_4.h5
sed -n '/^merged:/,$p' last.out | grep -E '^  sieve +concurrency=' | awk '{print $2}' >order.txt
[[ $(tr '\n' ' ' <order.txt) == "concurrency=4,policy=contiguous concurrency=16,policy=contiguous " ]] ||
  { show last.out >&2; fail "merged grid points must sort by value, key by key"; }
ok "merged grid points sort by value, key by key"

step "the same grid from the sweep section, and from one --sweep: the same runs"
sed "s#^\(  config:\) *\.\./models/#\1 $SRC/models/#" "$QUICKSTART" >grid.yaml
cat >>grid.yaml <<EOF
sweep:
  grid:
    $CONC: [4, 8]
    placement.policy: [contiguous, random]
EOF
must_succeed "run grid.yaml (sweep: grid:)" "$SIEVESIM" run grid.yaml "${SHORT[@]}" --schedulers pimoe,sieve -o section.h5
[[ $(runs_of section.h5) == "$(runs_of grid.h5)" ]] || { runs_of section.h5 >&2; fail "section.h5 runs differ from grid.h5's"; }
for r in "sieve@concurrency=8,policy=random" "pimoe@concurrency=4,policy=contiguous"; do
  h5diff section.h5 grid.h5 "/runs/$r/requests" "/runs/$r/requests" >/dev/null &&
    h5diff section.h5 grid.h5 "/runs/$r/iterations" "/runs/$r/iterations" >/dev/null ||
    fail "$r differs between the sweep section and --sweep (or 1 and 2 ranks)"
done
ok "same names and results as --sweep twice (on 1 rank against 2)"
must_succeed "--sweep overrides the section: one key" "$SIEVESIM" run grid.yaml "${SHORT[@]}" --sweep "$CONC=8" -o one.h5
[[ $(runs_of one.h5) == "concurrency=8" && $(h5attr one.h5 /runs sweep_key) == "$CONC" ]] ||
  { runs_of one.h5 >&2; fail "--sweep must replace the whole grid of the section"; }
h5diff one.h5 grid.h5 /runs/concurrency=8/requests "/runs/sieve@concurrency=8,policy=contiguous/requests" >/dev/null ||
  fail "a one-key point differs from the same grid point"
ok "--sweep replaces the section's grid; a single-key point keeps its old name (concurrency=8)"

step "bad grids: exit 2, one line, no result"
# bad_grid DESCRIPTION FRAGMENT CMD...: exit 2, one stderr line containing FRAGMENT, no OUT.h5.
bad_grid() {
  local what=$1 frag=$2 rc=0
  shift 2
  rm -rf OUT.h5 OUT.h5.partial
  "$@" -o OUT.h5 >bad.out 2>bad.err || rc=$?
  [[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] && grep -qF -- "$frag" bad.err ||
    { show bad.err >&2; fail "$what: expected exit 2 and one line with '$frag', got exit $rc"; }
  [[ ! -e OUT.h5 && ! -e OUT.h5.partial ]] || fail "$what: left a result behind"
  ok "$what  ->  $(cat bad.err)"
}
bad_grid "an unknown key in a grid" "workload.requests.closed.nope: unknown key 'nope'" \
  "$SIEVESIM" run "$QUICKSTART" -q --sweep "$CONC=4" --sweep workload.requests.closed.nope=1,2
bad_grid "a key swept twice" "--sweep placement.policy: the key is swept twice" \
  "$SIEVESIM" run "$QUICKSTART" -q --sweep placement.policy=random --sweep "$CONC=4" --sweep placement.policy=eplb
bad_grid "empty values" "--sweep: no values for 'placement.policy'" \
  "$SIEVESIM" run "$QUICKSTART" -q --sweep "$CONC=4" --sweep placement.policy=,
bad_grid "a value twice" "--sweep $CONC: the value '4' is given twice" \
  "$SIEVESIM" run "$QUICKSTART" -q --sweep "$CONC=4,8,4"
sed 's/\[contiguous, random\]/[]/' grid.yaml >empty.yaml
bad_grid "an empty list in the section" "empty.yaml: sweep.grid.placement.policy: a swept key needs at least one value" \
  "$SIEVESIM" run empty.yaml -q
sed "s/^    placement.policy:.*/    $CONC: [16]/" grid.yaml >twice.yaml
bad_grid "a key twice in the section" "twice.yaml: sweep.grid.$CONC: duplicate key" "$SIEVESIM" run twice.yaml -q
{ cat grid.yaml; echo "  key: $CONC"; echo "  values: [4]"; } >both.yaml
bad_grid "key/values and grid together" "both.yaml: sweep.grid: give either" "$SIEVESIM" run both.yaml -q
{ sed '/^sweep:/,$d' grid.yaml; printf 'sweep:\n  grid: {}\n'; } >nokeys.yaml
bad_grid "an empty grid" "nokeys.yaml: sweep.grid: expected at least one key" "$SIEVESIM" run nokeys.yaml -q

step "the job scripts with a grid: make-points, sweep-local, aggregate"
JOBS=$SRC/jobs
export SIEVESIM_BIN=$SIEVESIM
must_succeed "make-points.sh with two KEY=VALUES" bash "$JOBS/make-points.sh" "$QUICKSTART" sieve \
  "$CONC=4,8" placement.policy=contiguous,random
cp last.out points.tsv
[[ $(grep -vc '^#' points.tsv) -eq 4 &&
  $(sed -n 4p points.tsv) == "$QUICKSTART"$'\t'sieve$'\t'"$CONC=8"$'\t'placement.policy=contiguous ]] ||
  { show points.tsv >&2; fail "make-points: expected 4 grid points, the last key innermost"; }
ok "make-points: one tab-separated KEY=VALUE column per key"
rc=0
bash "$JOBS/make-points.sh" "$QUICKSTART" sieve "$CONC=4" "$CONC=8" >/dev/null 2>bad.err || rc=$?
[[ $rc -eq 2 ]] && grep -qF "is swept twice" bad.err || { show bad.err >&2; fail "make-points must refuse a key twice"; }
ok "make-points refuses a key given twice"
must_succeed "sweep-local.sh -n 2 on the grid" bash "$JOBS/sweep-local.sh" -n 2 -r results --id grid points.tsv \
  -- "${SHORT[@]}"
"$PY" - results/grid/csv/summary.csv <<'EOF' || fail "summary.csv of the grid (see above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = [f"concurrency={c},policy={p}" for c in (4, 8) for p in ("contiguous", "random")]
assert [r["sweep_value"] for r in rows] == want, [r["sweep_value"] for r in rows]
assert all(r["run"] == "sieve@" + w for r, w in zip(rows, want)), [r["run"] for r in rows]
assert {r["sweep_key"] for r in rows} == {"workload.requests.closed.concurrency,placement.policy"}
print("    ok: 4 rows, one per grid point, named as the grid run names them")
EOF
contains results/grid/report.txt "merged:" "the grid's points merge into one table"
for t in 0 1 2 3; do
  r=$(runs_of "results/grid/$t.h5")
  h5diff "results/grid/$t.h5" grid.h5 "/runs/$r/requests" "/runs/$r/requests" >/dev/null ||
    fail "point $t ($r) differs from the same point of the whole grid run"
done
ok "every job point equals the same point of the one-file grid run"
passed
