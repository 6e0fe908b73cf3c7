#!/usr/bin/env python3
"""The straggler experiment's table: per run of a sievesim result (one run or /runs/*),
throughput, TPOT percentiles and TPOT SLO attainment (the share of measured requests whose TPOT
is within the SLO), the SLO being `--slo-x` times the median TPOT of the baseline file.

usage: straggler_table.py [--slo-x 1.2] BASELINE.h5 RESULT.h5 [RESULT.h5 ...]
"""
import argparse
import sys

import h5py
import numpy as np


def runs(path):
    f = h5py.File(path, "r")
    if "runs" in f:
        for name in f["runs"]:
            yield name, f["runs"][name]
    else:
        yield path.rsplit("/", 1)[-1], f


def tpots(g):
    r = g["requests"]
    n = r["measured_tokens"][:]
    ok = n > 1
    return (r["last_token_ps"][:][ok] - r["measured_first_ps"][:][ok]) / (n[ok] - 1) / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--slo-x", type=float, default=1.2)
    p.add_argument("baseline")
    p.add_argument("results", nargs="+")
    a = p.parse_args()
    base = [tpots(g) for _, g in runs(a.baseline)][0]
    slo = a.slo_x * np.median(base)
    print(f"TPOT SLO: {slo:.2f} ms ({a.slo_x} x the median TPOT without stragglers)\n")
    print("| run | tokens/s | TPOT p50 (ms) | TPOT p99 (ms) | within SLO |")
    print("|---|---|---|---|---|")
    for path in [a.baseline] + a.results:
        for name, g in runs(path):
            t = tpots(g)
            s = g["summary"].attrs
            print(f"| {name} | {s['throughput_tokens_per_s']:.0f} | {np.median(t):.2f} | "
                  f"{np.percentile(t, 99):.2f} | {np.mean(t <= slo):.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
