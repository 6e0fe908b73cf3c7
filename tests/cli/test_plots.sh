#!/usr/bin/env bash
# analysis/sievesim_plots.py end to end: pareto, timeline, experts and all on fresh results (a
# sweep file, job-array style one-point files, a single run). Each PNG must be a real, non-blank
# picture; the numbers each plot drew (--data JSON) must equal the HDF5 file's, the Pareto marks
# must equal the stars of `sievesim report`; bad input must exit 2 with one line naming the file.
source "$(dirname "$0")/common.sh" "$@"
need_python
PLOTS=$SRC/analysis/sievesim_plots.py

step "a python with h5py, numpy and matplotlib"
PLOT_PY=
for p in ${SIEVESIM_PYTHON:-} "$PY" /usr/bin/python3; do
  if "$p" -c 'import h5py, numpy, matplotlib' 2>/dev/null; then
    PLOT_PY=$p
    break
  fi
done
[[ -n $PLOT_PY ]] || fail "matplotlib is missing: apt-get install -y python3-matplotlib" \
  "(scripts/install-deps.sh installs it; tried ${SIEVESIM_PYTHON:-} $PY /usr/bin/python3)"
ok "$PLOT_PY"
plots() { "$PLOT_PY" "$PLOTS" "$@"; }

# check_png FILE...: a PNG over 10 KB whose pixels are a picture, not a blank canvas: enough
# distinct colours, contrast, ink and saturated (data-coloured) pixels. An empty figure with
# axes and a title passes the size test but none of the others (checked below).
check_png() {
  "$PLOT_PY" - "$@" <<'PY'
import sys, os
import numpy as np
import matplotlib.image as mi
bad = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print(f"    {path}: missing"); bad = 1; continue
    with open(path, "rb") as fh:
        sig = fh.read(8)
    size = os.path.getsize(path)
    rgb = (mi.imread(path)[..., :3] * 255).round().astype(np.int16).reshape(-1, 3)
    colours = len(np.unique(rgb, axis=0))
    std = float(rgb.std()) / 255
    ink = float(np.mean(np.any(rgb < 250, axis=1)))          # not white
    saturated = float(np.mean(rgb.max(1) - rgb.min(1) > 40))  # coloured, not grey text
    good = (sig == b"\x89PNG\r\n\x1a\n" and size > 10_000 and colours >= 250 and std >= 0.09
            and ink >= 0.03 and saturated >= 0.001)
    print(f"    {path}: {size} B, {colours} colours, std {std:.3f}, ink {ink:.3f}, "
          f"saturated {saturated:.4f}{'' if good else '  <- NOT A PLOT'}")
    bad |= not good
sys.exit(bad)
PY
}

# must_fail_2 DESCRIPTION FILE_NAMED CMD...: exit code 2 and exactly one stderr line naming the file.
must_fail_2() {
  local what=$1 named=$2 rc=0
  shift 2
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  [[ $rc -eq 2 ]] || { show "$WORK/last.err" >&2; fail "$what: exit code $rc, expected 2"; }
  [[ $(wc -l <"$WORK/last.err") -eq 1 ]] || { show "$WORK/last.err" >&2; fail "$what: not one line"; }
  contains "$WORK/last.err" "$named" "$what: the error names $named"
  ok "$what: $(cat "$WORK/last.err")"
}

step "results: a sweep (2 schedulers x 3 concurrencies), three one-point files, a single run"
must_succeed "sweep file" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
  --schedulers pimoe,sieve --sweep workload.requests.closed.concurrency=8,32,128 -o sweep.h5
for c in 8 32; do
  must_succeed "point concurrency=$c" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
    --schedulers sieve --sweep workload.requests.closed.concurrency=$c -o point_$c.h5
done
# A deliberately slow sieve point (5 ms per decision): dominated, so the Pareto marks differ.
must_succeed "slow point concurrency=16" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
  --schedulers sieve --sweep workload.requests.closed.concurrency=16 \
  -p scheduler.sieve.decision_us=5000 -o slow_16.h5
must_succeed "single run" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 2 -o single.h5

step "the PNG check rejects a blank canvas"
"$PLOT_PY" - <<'PY'
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(14, 7.5))
ax.set_title("an empty plot")
fig.savefig("blank.png", dpi=110)
PY
if check_png blank.png; then fail "check_png accepted a blank canvas"; fi
ok "blank.png rejected"

step "--help"
must_succeed "--help" plots --help
for w in pareto timeline experts energy all --run "exit codes"; do contains last.out "$w" "--help"; done

step "plots"
must_succeed "pareto of the sweep file" plots pareto sweep.h5 -o pareto.png --data pareto.json
must_succeed "pareto of three one-point files" plots pareto point_32.h5 slow_16.h5 point_8.h5 \
  -o points/pareto.png --data points/pareto.json
must_succeed "timeline, defaults" plots timeline sweep.h5 -o timeline.png --data timeline.json
must_succeed "timeline of a chosen run, iteration, node" plots timeline sweep.h5 \
  --run sieve@concurrency=8 --iteration 0 --node 3 --zoom 5 -o timeline2.png --data timeline2.json
must_succeed "experts, defaults" plots experts sweep.h5 -o experts.png --data experts.json
must_succeed "experts of chosen layers" plots experts sweep.h5 --run sieve@concurrency=32 \
  --layers 3,20 -o experts2.png --data experts2.json
must_succeed "all: a single-run file and two one-point files" plots all single.h5 point_8.h5 \
  point_32.h5 -d all
check_png pareto.png points/pareto.png timeline.png timeline2.png experts.png experts2.png \
  all/pareto.png all/timeline.png all/experts.png ||
  fail "a plot is missing, too small or blank"
ok "9 PNGs are real plots"

step "all on a result written with output.layers: false (as the paper setups are)"
must_succeed "run without /layers" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 2 \
  -p output.layers=false -o nolayers.h5
rc=0
plots all nolayers.h5 -d nolayers 2>nolayers.err || rc=$?
[[ $rc -eq 0 ]] || { show nolayers.err >&2; fail "plots all must succeed without /layers"; }
grep -q "note: no timeline" nolayers.err || { show nolayers.err >&2; fail "the skipped timeline needs a note"; }
[[ ! -e nolayers/timeline.png ]] || fail "no timeline can be drawn without /layers"
# (One run is one Pareto point: too little ink for check_png, so the pareto is checked by size.)
check_png nolayers/experts.png || fail "the experts plot must still be drawn"
[[ $(stat -c %s nolayers/pareto.png) -gt 10000 && -s nolayers/pareto.json ]] ||
  fail "the pareto plot must still be drawn"
ok "without /layers: pareto and experts drawn, the timeline skipped with a note"

step "for papers: styles, vector formats, labels that do not overlap, what ran where"
must_succeed "pareto, paper style, PDF" plots --style paper pareto sweep.h5 -o paper/pareto.pdf --data paper/pareto.json
must_succeed "timeline, slides style, SVG" plots --style slides timeline sweep.h5 -o paper/timeline.svg --data paper/timeline.json
must_succeed "all --format svg" plots all sweep.h5 -d svg --format svg
[[ $(head -c 5 paper/pareto.pdf) == "%PDF-" ]] || fail "paper/pareto.pdf is not a PDF"
for f in paper/timeline.svg svg/pareto.svg svg/timeline.svg svg/experts.svg; do
  grep -q "<svg" "$f" || fail "$f is not an SVG"
done
ok "PDF and SVG written"
must_succeed "pareto of a gpu-only and a sieve sweep" "$SIEVESIM" run "$QUICKSTART" -q --max-iterations 3 \
  --schedulers gpu-only,noexp,sieve --sweep workload.requests.closed.concurrency=1,2,4,8,16,32,64,128 -o crowd.h5
must_succeed "pareto of 24 points" plots pareto crowd.h5 -o crowd.png --data crowd.json
must_succeed "timeline of the gpu-only run" plots timeline crowd.h5 --run gpu-only@concurrency=64 -o gpu.png --data gpu.json
"$PLOT_PY" - <<'PY' || fail "labels overlap, or phases drawn where they did not run"
import json
for name in ("crowd.json", "pareto.json", "paper/pareto.json"):
    d = json.load(open(name))
    boxes = [l["box_px"] for l in d["labels"]]
    assert boxes, name
    x0, y0, x1, y1 = d["axes_px"]
    assert all(x0 <= b[0] and b[2] <= x1 and y0 <= b[1] and b[3] <= y1 for b in boxes), (name, "label outside the axes")
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (name, a, b)
    print(f"    ok: {name}: {len(boxes)} labels, none overlapping")
g = json.load(open("gpu.json"))
assert g["attention_on_pim"] is False and all(r["experts_pim"] == 0 for r in g["layers"]), g
s = json.load(open("paper/timeline.json"))
assert s["attention_on_pim"] is True, s
assert "dense" not in g["phases"] and set(g["phases"]) <= {"attention", "dispatch", "experts", "combine"}, g["phases"]
print(f"    ok: gpu-only: attention and experts on the GPU only; phases listed: {g['phases']}")
PY
check_png crowd.png gpu.png || fail "crowd.png or gpu.png is blank"
rc=0
plots pareto sweep.h5 -o pareto.jpg 2>jpg.err || rc=$?
[[ $rc -eq 2 && $(wc -l <jpg.err) -eq 1 ]] && grep -q "name the output .png, .pdf or .svg" jpg.err ||
  { show jpg.err >&2; fail "an unknown format must be exit 2 with one line"; }
ok "an unknown output format is exit 2"

# Under a python3 that is not the system one and lacks h5py (pyenv, a venv), the hint must say
# to use the system python, not to apt-get what is already installed. Checked where such an
# interpreter is on the PATH.
while read -r alt; do
  [[ $(realpath "$alt") == $(realpath /usr/bin/python3) ]] && continue
  "$alt" -c "import h5py" 2>/dev/null && continue
  rc=0
  "$alt" "$PLOTS" --help >/dev/null 2>alt.err || rc=$?
  [[ $rc -ne 0 ]] && grep -q "run the script with /usr/bin/python3" alt.err ||
    { show alt.err >&2; fail "$alt: the missing-module hint must point at /usr/bin/python3"; }
  ok "$alt without h5py is told to use /usr/bin/python3"
done < <(type -ap python3)

step "energy: throughput against tokens per joule (analysis/energy_plot.py)"
must_succeed "energy of the sweep file" plots energy sweep.h5 -o energy.png --data energy.json
must_succeed "energy, paper style, PDF" plots --style paper energy point_8.h5 point_32.h5 \
  -o paper/energy.pdf
check_png energy.png || fail "energy.png is blank"
[[ $(head -c 5 paper/energy.pdf) == "%PDF-" ]] || fail "paper/energy.pdf is not a PDF"
"$PLOT_PY" - <<'PY' || fail "the energy plot's numbers differ from the HDF5 file (above)"
import json
import h5py
d = json.load(open("energy.json"))
TP, TPJ = "throughput_tokens_per_s_per_gpu", "output_tokens_per_joule"
assert sorted(c["scheduler"] for c in d["curves"]) == ["pimoe", "sieve"], d["curves"]
with h5py.File("sweep.h5", "r") as f:
    for c in d["curves"]:
        assert [p["sweep_value"] for p in c["points"]] == ["8", "32", "128"], c["label"]
        for p in c["points"]:
            a = dict(f["runs"][p["run"]]["summary"].attrs)
            assert p[TP] == float(a[TP]) and p[TPJ] == float(a[TPJ]) and p[TPJ] > 0, p["run"]
            assert abs(sum(p["energy_J"].values()) - a["energy_total_J"]) < 1e-9 * a["energy_total_J"]
            others = c["points"]
            dominated = any(o[TP] >= p[TP] and o[TPJ] >= p[TPJ] and (o[TP] > p[TP] or o[TPJ] > p[TPJ])
                            for o in others)
            assert p["pareto"] == (not dominated), p["run"]
for row in d["shares_percent"]:
    assert abs(sum(v for k, v in row.items() if k != "label") - 100) < 1e-6, row
print(f"    ok: {len(d['curves'])} curves, tokens/J and shares as in sweep.h5")
PY
ok "energy plot drawn from /summary"
rc=0
plots energy nolayers.h5 missing.h5 -o x.png 2>missing.err || rc=$?
[[ $rc -eq 2 && $(wc -l <missing.err) -eq 1 ]] && grep -q "missing.h5" missing.err ||
  { show missing.err >&2; fail "a missing file must be exit 2 with one line naming it"; }
ok "a missing file is exit 2"

step "the plotted numbers equal the HDF5 files"
must_succeed "report of the three points" "$SIEVESIM" report point_32.h5 slow_16.h5 point_8.h5
cp last.out report_points.txt
must_succeed "report of the sweep" "$SIEVESIM" report sweep.h5
cp last.out report_sweep.txt
"$PLOT_PY" - "$PLOTS" <<'PY' || fail "plotted numbers differ from the HDF5 files (above)"
import json, re, sys
import h5py, numpy as np
load = lambda p: json.load(open(p))
TP, IA = "throughput_tokens_per_s_per_gpu", "interactivity_tokens_per_s_per_user"

def report_stars(path):
    """(scheduler, value) -> on the front, from the '*' of a `sievesim report` sweep table."""
    stars = {}
    for line in open(path):
        m = re.match(r"\s+(\S+)\s+(\d+)\s+[\d.]+(\*?)\s+[\d.]+\s+\S+ms", line)
        if m:
            stars[(m[1], m[2])] = m[3] == "*"
    return stars

def dominated(p, others):
    return any(o[TP] >= p[TP] and o[IA] >= p[IA] and (o[TP] > p[TP] or o[IA] > p[IA])
               for o in others)

def check_pareto(data, files, expect, stars):
    curves = {c["scheduler"]: c for c in data["curves"]}
    assert sorted(curves) == sorted(expect), sorted(curves)
    for s, values in expect.items():
        pts = curves[s]["points"]
        assert [p["sweep_value"] for p in pts] == values, (s, [p["sweep_value"] for p in pts])
        for p in pts:
            assert p["file"] in files
            with h5py.File(p["file"], "r") as f:
                g = f["runs"][p["run"]] if "runs" in f else f
                a = dict(g["summary"].attrs)
                assert g.attrs["scheduler"].decode() == s
                assert g.attrs.get("sweep_value", b"").decode() == (p["sweep_value"] or "")
            assert p[TP] == float(a[TP]) and p[IA] == float(a[IA]), p["run"]
            assert p["pareto"] == (not dominated(p, pts)), p["run"]
            if stars is not None:
                # The report's '*' is the front over all its rows: the plot's pareto_all.
                assert p["pareto_all"] == stars[(s, p["sweep_value"])], (p["run"], "report disagrees")
    return curves

check_pareto(load("pareto.json"), ["sweep.h5"],
             {"pimoe": ["8", "32", "128"], "sieve": ["8", "32", "128"]},
             report_stars("report_sweep.txt"))
c = check_pareto(load("points/pareto.json"), ["point_32.h5", "slow_16.h5", "point_8.h5"],
                 {"sieve": ["8", "16", "32"]}, report_stars("report_points.txt"))
assert [p["pareto"] for p in c["sieve"]["points"]] == [True, False, True], "slow point on front"
# A run without a swept value (single.h5) comes after the swept ones.
check_pareto(load("all/pareto.json"), ["single.h5", "point_8.h5", "point_32.h5"],
             {"sieve": ["8", "32", None]}, None)
# The front rule itself, on a case with every kind of point.
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
import sievesim_plots
assert sievesim_plots.pareto_flags([(1, 1), (2, 2), (0, 3), (2, 2), (2, 1)]) == \
    [False, True, True, True, False]
print("    pareto: values, order by swept value, front = report's stars (one point dominated)")

def check_timeline(data, path, run, iteration, node):
    """The plot's rows are the /layers rows of (iteration, node), the last iteration if None."""
    with h5py.File(path, "r") as f:
        g = f["runs"][run] if run else f
        t = {k: v[:] for k, v in g["layers"].items()}
        moe = set(g["expert_load"]["layer"][:].tolist())
    if iteration is None:
        iteration = int(t["iteration"].max())
    sel = (t["iteration"] == iteration) & (t["node"] == node)
    t = {k: v[sel][np.argsort(t["layer"][sel])] for k, v in t.items()}
    assert data["run"] == (run or "sieve") and data["node"] == node, (data["run"], data["node"])
    assert data["iteration"] == iteration, data["iteration"]
    rows = data["layers"]
    assert len(rows) == len(t["layer"]) > 0, len(rows)
    for k in ("layer", "start_ps", "attention_end_ps", "dispatch_end_ps", "experts_end_ps",
              "end_ps", "gpu_busy_ps", "pim_busy_ps"):
        assert [r[k] for r in rows] == t[k].tolist(), k
    assert [r["moe"] for r in rows] == [int(l) in moe for l in t["layer"]]
    span = float(np.sum(t["end_ps"] - t["start_ps"]))
    assert abs(data["gpu_busy_share"] - np.sum(t["gpu_busy_ps"]) / span) < 1e-12
    assert abs(data["pim_busy_share"] - np.sum(t["pim_busy_ps"]) / span) < 1e-12
    return data

# Default: the baseline scheduler (pimoe, first of --schedulers) at the largest value; the last
# iteration (--max-iterations 3: iteration 2).
d = check_timeline(load("timeline.json"), "sweep.h5", "pimoe@concurrency=128", 2, 0)
d = check_timeline(load("timeline2.json"), "sweep.h5", "sieve@concurrency=8", 0, 3)
assert d["zoom_layers"] == [4, 5, 6], d["zoom_layers"]
check_timeline(load("all/timeline.json"), "single.h5", None, None, 0)
print("    timeline: /layers rows of the right run, iteration and node; busy shares")

def check_experts(data, path, run, layers):
    with h5py.File(path, "r") as f:
        g = f["runs"][run] if run else f
        t = {k: v[:] for k, v in g["expert_load"].items()}
    assert data["run"] == (run or "sieve"), data["run"]
    moe = sorted(set(t["layer"].tolist()))
    shown = [l["layer"] for l in data["layers"]]
    if layers is None:  # four spread over the MoE layers, ends included
        assert len(shown) == 4 and shown == sorted(shown) and shown[0] == moe[0] \
            and shown[-1] == moe[-1], shown
    else:
        assert shown == layers, shown
    ratios = {}
    for l in moe:
        sel = t["layer"] == l
        tok = t["tokens"][sel][np.argsort(t["expert"][sel])]
        ratios[l] = tok.max() / tok.mean()
        for s in data["layers"]:
            if s["layer"] == l:
                assert s["tokens"] == tok.tolist(), l
                assert abs(s["max_over_mean"] - ratios[l]) < 1e-12, l
    assert sum(t["tokens"]) > 0
    assert abs(data["max_over_mean_all_layers"]["worst"] - max(ratios.values())) < 1e-12
    assert abs(data["max_over_mean_all_layers"]["mean"] - np.mean(list(ratios.values()))) < 1e-12

check_experts(load("experts.json"), "sweep.h5", "pimoe@concurrency=128", None)
check_experts(load("experts2.json"), "sweep.h5", "sieve@concurrency=32", [3, 20])
check_experts(load("all/experts.json"), "single.h5", None, None)
print("    experts: /expert_load tokens per expert, max/mean per layer and over all layers")
PY
ok "pareto, timeline and experts data match /summary, /layers, /expert_load and the report"

step "bad input: exit 2, one line naming the file, no plot"
echo "not a result" >notes.txt
"$PY" -c 'import h5py; h5py.File("other.h5", "w")["x"] = [1]'
must_fail_2 "missing file among several" missing.h5 plots pareto sweep.h5 missing.h5 -o e1.png
must_fail_2 "text file" notes.txt plots timeline notes.txt -o e2.png
must_fail_2 "HDF5 file of another program" other.h5 plots experts other.h5 -o e3.png
must_fail_2 "unknown run" sweep.h5 plots timeline sweep.h5 --run sieve@concurrency=7 -o e4.png
contains last.err "sieve@concurrency=7" "the unknown run is named"
must_fail_2 "unknown iteration" sweep.h5 plots timeline sweep.h5 --iteration 99 -o e5.png
must_fail_2 "not a MoE layer" sweep.h5 plots experts sweep.h5 --layers 999 -o e6.png
must_fail_2 "all with a missing file" missing.h5 plots all sweep.h5 missing.h5 -d e_all
for e in e1.png e2.png e3.png e4.png e5.png e6.png e_all; do
  [[ ! -e $e ]] || fail "a failed command left $e"
done
ok "no output after a failure"
passed
