#!/usr/bin/env python3
"""Throughput over time around simulated faults, from sievesim result files.

For each file: output tokens per wall-clock window of simulated time (from /iterations), the
pre-fault level (mean over the windows before the first failure), the time from the failure
until a window reaches 95% of it again, the level between recovery and the rejoin (the smaller
cluster's steady state), and the same after the rejoin. Prints one table (markdown) and, with
--csv, writes the per-window series.

usage: fault_timeline.py [--window-s 2.0] [--csv OUT.csv] RESULT.h5 [LABEL=RESULT.h5 ...]
"""
import argparse
import sys

import h5py
import numpy as np


def series(f, window_s):
    it = f["iterations"]
    end = it["end_ps"][:] / 1e12
    out = it["output_tokens"][:]
    edges = np.arange(0.0, end.max() + window_s, window_s)
    tokens, _ = np.histogram(end, bins=edges, weights=out)
    return edges[:-1], tokens / window_s


def analyse(path, window_s):
    f = h5py.File(path, "r")
    t, tput = series(f, window_s)
    ft = f["faults"]
    ev, at, resume = ft["event"][:], ft["at_ps"][:] / 1e12, ft["resume_ps"][:] / 1e12
    fail_at = at[ev == 0][0]
    fail_resume = resume[ev == 0][0]
    rejoin_at = at[ev == 1][0] if (ev == 1).any() else np.inf
    rejoin_resume = resume[ev == 1][0] if (ev == 1).any() else np.inf
    # Before: the second half of the time up to the failure (past the start-up ramp), as
    # `sievesim report` judges it (src/io/report_faults.cpp).
    pre = tput[(t >= fail_at / 2) & (t + window_s <= fail_at)].mean()
    after = (t >= fail_at)
    back = np.nonzero(after & (tput >= 0.95 * pre))[0]
    to95 = t[back[0]] + window_s - fail_at if len(back) else np.nan
    # Steady states: from 2 s after serving resumes until the next event, and the 16 s after
    # the rejoin (before the closed-loop clients run out of requests and the run drains).
    degraded = tput[(t >= fail_resume + 2.0) & (t + window_s <= rejoin_at)]
    rejoined = tput[(t >= rejoin_resume + 2.0) & (t + window_s <= rejoin_resume + 18.0)]
    s = f["summary"].attrs
    return dict(pre=pre, to95=to95, pause=fail_resume - fail_at,
                degraded=degraded.mean() / pre if len(degraded) else np.nan,
                rejoined=rejoined.mean() / pre if len(rejoined) else np.nan,
                reint=rejoin_resume - rejoin_at, requeued=int(s["requests_requeued"]),
                moved_gb=ft["bytes_moved"][:].sum() / 1e9, ttft99=s["ttft_p99_ps"] / 1e9,
                t=t, tput=tput)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--window-s", type=float, default=2.0)
    p.add_argument("--csv")
    a = p.parse_args()
    rows = []
    for spec in a.files:
        label, _, path = spec.rpartition("=")
        rows.append((label or path, analyse(path, a.window_s)))
    print("| run | pre-fault tokens/s | recovery pause + moves (s) | failure to 95% (s) | "
          "23-node level | reintegration (s) | after rejoin | requeued | weights moved (GB) | "
          "TTFT p99 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['pre']:.0f} | {r['pause']:.2f} | {r['to95']:.1f} | "
              f"{r['degraded']:.1%} | {r['reint']:.2f} | {r['rejoined']:.1%} | {r['requeued']} | "
              f"{r['moved_gb']:.2f} | {r['ttft99']:.0f} |")
    if a.csv:
        with open(a.csv, "w") as out:
            out.write("run,t_s,tokens_per_s\n")
            for label, r in rows:
                for t, v in zip(r["t"], r["tput"]):
                    out.write(f"{label},{t:.3f},{v:.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
