#!/usr/bin/env bash
# `sievesim report` over several files (the points of a job array): the merged sweep table with
# ratios against the baseline, and `--csv` export whose figures equal the HDF5 attributes.
source "$(dirname "$0")/common.sh" "$@"
need_python

step "four single-point files, as a job array writes them"
for s in pimoe sieve; do
  for c in 8 32; do
    must_succeed "point $s concurrency=$c" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
      --schedulers "$s" --sweep workload.requests.closed.concurrency=$c -o "p_${s}_$c.h5"
  done
done
[[ $(h5attr p_sieve_8.h5 /runs sweep_key) == workload.requests.closed.concurrency ]] ||
  fail "a one-point sweep must record its key under /runs"
[[ $(h5attr p_sieve_8.h5 "/runs/sieve@concurrency=8" sweep_value) == 8 ]] ||
  fail "a one-point sweep must record its value"
ok "a one-point sweep keeps its key and value"

step "nothing measured is shown as '-' with its reason and left empty in the CSV"
must_succeed "decode point with warm-up" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
  --sweep workload.requests.closed.concurrency=8 -p workload.warmup_iterations=1 -o warm.h5
must_succeed "report warm.h5 --csv" "$SIEVESIM" report warm.h5 --csv warmcsv
contains last.out "(-: none measured after the warm-up" "the '-' is explained"
"$PY" - <<'PY' || fail "an unmeasured TTFT must be an empty CSV cell"
import csv
r = next(csv.DictReader(open("warmcsv/summary.csv")))
assert r["ttft_count"] == "0", r["ttft_count"]
assert r["ttft_p50_ps"] == "" and r["ttft_mean_ps"] == "", (r["ttft_p50_ps"], r["ttft_mean_ps"])
assert int(r["tpot_count"]) > 0 and int(r["tpot_p50_ps"]) > 0
PY
ok "unmeasured TTFT: '-' explained in the table, empty in the CSV"

step "merged report with CSV"
must_succeed "report 4 files --csv" "$SIEVESIM" report p_pimoe_32.h5 p_sieve_8.h5 p_pimoe_8.h5 \
  p_sieve_32.h5 --csv csv --layers
contains last.out "merged: qwen3-30b-a3b on 4 GPUs, 4 runs" "merged section"
contains last.out "ratios of each scheduler over pimoe" "the first file's baseline is the default, however many files"
contains last.out "throughput (tokens/s per GPU): scheduler over pimoe" "the ratio table says which way it divides"
contains last.out "per-layer GPU/PIM split" "--layers prints the split table"
# The merged table lists each scheduler's points in numeric order of the swept value.
awk '/^merged:/{m=1} m && /^  pimoe +[0-9]+ /{print $2}' last.out | tr '\n' ' ' >order.txt
[[ $(cat order.txt) == "8 32 " ]] || fail "merged points out of order: $(cat order.txt)"
ok "points sorted by value"
for t in summary phases layers compare; do [[ -s csv/$t.csv ]] || fail "csv/$t.csv missing"; done
"$PY" - <<'PY' || fail "CSV content"
import csv, h5py
rows = list(csv.DictReader(open("csv/summary.csv")))
assert len(rows) == 4, len(rows)
for r in rows:
    with h5py.File(r["file"], "r") as f:
        s = f["runs"][r["run"]]["summary"].attrs
        assert int(r["output_tokens"]) == int(s["output_tokens"]), r["run"]
        assert float(r["throughput_tokens_per_s_per_gpu"]) == float(s["throughput_tokens_per_s_per_gpu"])
        assert int(r["tpot_p50_ps"]) == int(s["tpot_p50_ps"])
cmp = {(r["scheduler"], r["sweep_value"]): r for r in csv.DictReader(open("csv/compare.csv"))}
assert set(cmp) == {("pimoe", "8"), ("pimoe", "32"), ("sieve", "8"), ("sieve", "32")}, set(cmp)
tp = {k: float(v["throughput_tokens_per_s_per_gpu"]) for k, v in cmp.items()}
for c in ("8", "32"):
    # One convention everywhere: a scheduler over the baseline.
    got = float(cmp[("sieve", c)]["throughput_over_baseline"])
    assert abs(got - tp[("sieve", c)] / tp[("pimoe", c)]) < 1e-12, got
    assert float(cmp[("pimoe", c)]["throughput_over_baseline"]) == 1.0
layers = list(csv.DictReader(open("csv/layers.csv")))
with h5py.File("p_sieve_8.h5", "r") as f:
    n_layers = f["runs"]["sieve@concurrency=8"]["layers"]["layer"][:].max() + 1
assert len(layers) == 4 * n_layers, len(layers)
# The per-layer means weight back to the per-run mean.
ph = {r["file"]: r for r in csv.DictReader(open("csv/phases.csv"))}
for fname, p in ph.items():
    mine = [r for r in layers if r["file"] == fname]
    tot = sum(float(r["samples"]) * float(r["tokens_gpu"]) for r in mine)
    assert abs(tot / float(p["node_layers"]) - float(p["tokens_gpu"])) < 1e-6
print("csv ok")
PY
ok "summary.csv equals the HDF5 attributes; compare.csv ratios; layers.csv weights to phases.csv"

step "report errors"
rc=0
"$SIEVESIM" report p_sieve_8.h5 --baseline duplex >out.txt 2>err.txt || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--baseline: no run in p_sieve_8.h5 used scheduler 'duplex'" err.txt ||
  { show err.txt >&2; fail "unknown baseline must be exit 2"; }
ok "a baseline no run used is exit 2"
rc=0
"$SIEVESIM" report p_sieve_8.h5 missing.h5 --csv csv2 >out.txt 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e csv2 ]] && grep -q "missing.h5: no such result file" err.txt ||
  { show err.txt >&2; fail "a missing file among several must be exit 2 and write no CSV"; }
ok "a missing file among several: exit 2, no CSV"
passed
