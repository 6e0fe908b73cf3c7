#!/usr/bin/env python3
"""Validation tables: every cost model against public component-level measurements.

Each component has one CSV beside this script (pim.csv, gpu.csv, net.csv, ...). A row is one
public measurement (or a figure derived from one by stated arithmetic) and the `sievesim cost`
question that asks the model for the same thing:

    case,measured,unit,source,cost_args,field,band_pct

  case       what was measured, in words
  measured   the published figure, in `unit`
  unit       us, ns, GBps, TBps or TFLOPS: the unit of `measured` and of `field` after scaling
  source     where the figure comes from (paper table/figure, README, datasheet)
  cost_args  the arguments of `sievesim cost` that ask the same question (shell-split)
  field      the JSON key of the answer to compare (time_us, time_ns, achieved_bandwidth_GBps, ...)
  band_pct   the error, in percent of `measured`, the source supports: the model must land within
             it (a wide band where the source is a range or a different machine generation)

Prints one table per component with the model's figure and the error, then the median and worst
absolute error per component. `--check` exits 1 when a row falls outside its band (CTest runs it).

    python3 bench/validation/validate.py [--sievesim build/sievesim] [--check] [--markdown]
"""
import argparse
import csv
import json
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["case", "measured", "unit", "source", "cost_args", "field", "band_pct"]
# How a JSON field converts to each unit a row may use.
SCALE = {
    ("time_ns", "us"): 1e-3,
    ("time_ns", "ns"): 1.0,
    ("time_us", "us"): 1.0,
    ("achieved_bandwidth_GBps", "GBps"): 1.0,
    ("achieved_bandwidth_GBps", "TBps"): 1e-3,
    ("achieved_tflops", "TFLOPS"): 1.0,
}


def fail(msg):
    print(f"validate.py: {msg}", file=sys.stderr)
    sys.exit(2)


def read_rows(path):
    with open(path, newline="") as f:
        lines = [line for line in f if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames != COLUMNS:
        fail(f"{path}: header must be {','.join(COLUMNS)}, got {','.join(reader.fieldnames or [])}")
    rows = []
    for n, r in enumerate(reader, start=2):
        try:
            r["measured"] = float(r["measured"])
            r["band_pct"] = float(r["band_pct"])
        except ValueError:
            fail(f"{path}: row {n} ('{r['case']}'): measured and band_pct must be numbers")
        if not r["source"].strip():
            fail(f"{path}: row {n} ('{r['case']}'): every row needs a source")
        rows.append(r)
    return rows


def model_value(sievesim, row, path):
    args = [sievesim, "cost"] + shlex.split(row["cost_args"])
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{path}: '{row['case']}': {' '.join(args)} failed: {p.stderr.strip()}")
    out = json.loads(p.stdout)
    field = row["field"]
    key = (field, row["unit"])
    if field == "time_us":
        value = out["time_ns"] * 1e-3
    elif key in SCALE:
        value = out[field] * SCALE[key]
    else:
        fail(f"{path}: '{row['case']}': no conversion of {field} to {row['unit']}")
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sievesim", default=os.path.join(HERE, "..", "..", "build", "sievesim"))
    ap.add_argument("--check", action="store_true", help="exit 1 when a row is outside its band")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--dir", default=HERE, help="folder of the component CSVs (default: beside this script)")
    ap.add_argument("components", nargs="*", help="CSV names without .csv (default: all)")
    a = ap.parse_args()
    if not os.access(a.sievesim, os.X_OK):
        fail(f"no sievesim executable at {a.sievesim} (build first, or pass --sievesim)")
    names = a.components or sorted(f[:-4] for f in os.listdir(a.dir) if f.endswith(".csv"))
    if not names:
        fail(f"no component tables (*.csv) in {a.dir}")
    outside = []
    summary = []
    for name in names:
        path = os.path.join(a.dir, name + ".csv")
        if not os.path.exists(path):
            fail(f"no table {path}")
        rows = read_rows(path)
        errors = []
        print(f"\n## {name}: {len(rows)} measurements\n")
        if a.markdown:
            print("| case | measured | model | error | band | source |")
            print("|---|---|---|---|---|---|")
        for r in rows:
            v = model_value(a.sievesim, r, path)
            err = (v - r["measured"]) / r["measured"] * 100.0
            errors.append(abs(err))
            ok = abs(err) <= r["band_pct"]
            if not ok:
                outside.append(f"{name}: {r['case']}: {err:+.1f}% (band {r['band_pct']:g}%)")
            mark = "" if ok else "  OUTSIDE BAND"
            if a.markdown:
                print(f"| {r['case']} | {r['measured']:g} {r['unit']} | {v:.4g} | {err:+.1f}% | "
                      f"±{r['band_pct']:g}% | {r['source']} |")
            else:
                print(f"  {r['case']}\n    measured {r['measured']:g} {r['unit']}, model {v:.4g}, "
                      f"error {err:+.1f}% (band ±{r['band_pct']:g}%){mark}\n    source: {r['source']}")
        med = statistics.median(errors) if errors else 0.0
        worst = max(errors) if errors else 0.0
        summary.append((name, len(rows), med, worst))
    print("\n## summary: absolute error per component\n")
    print("| component | rows | median | worst |")
    print("|---|---|---|---|")
    for name, n, med, worst in summary:
        print(f"| {name} | {n} | {med:.1f}% | {worst:.1f}% |")
    if outside:
        print("\noutside their bands:\n  " + "\n  ".join(outside))
        if a.check:
            sys.exit(1)
    print(f"\n{sum(s[1] for s in summary)} passed, {len(outside)} failed" if a.check else "")


if __name__ == "__main__":
    main()
