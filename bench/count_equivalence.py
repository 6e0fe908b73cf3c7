#!/usr/bin/env python3
"""Statistical equivalence of the count engine with the token engine (issue 19).

Runs each setup with `system.engine: tokens` and `counts` over several seeds and compares what
the engines are for: the per-expert loads (/expert_load), the scheduler's split (the share of
(token, expert) pairs and of active experts it runs on the PIM, from /layers), throughput and
TPOT (/summary). The two engines draw different random numbers, so their loads can only agree
as two samples of one distribution do: the load statistic is chi2/dof between the engines'
summed loads (two independent Poisson-like samples of one distribution give ~1), shown beside
the same statistic between two disjoint seed sets of the token engine (the noise floor).

  usage: count_equivalence.py --sievesim BIN [--setups a,b] [--seeds 4] [--measured 4]
                              [--schedulers sieve] [--check] [--work DIR]
With --check it exits 1 unless every row is within the tolerances below (tests/cli runs it on
small setups; bench/RESULTS.md's table comes from a larger run).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PAPER = os.path.join(ROOT, "configs", "paper")

# name: (experiment, overrides). The paper setups at 64 requests per GPU (the middle of their
# concurrency sweeps), and DeepSeek-V3 on 64 B200 nodes (the Qwen3.5 setup's hardware) at 16.
SETUPS = {
    "qwen3-30b-1gpu": ("qwen3-30b-1gpu.yaml", ["workload.requests.closed.concurrency=64"]),
    "gpt-oss-120b-4gpu": ("gpt-oss-120b-4gpu.yaml", ["workload.requests.closed.concurrency=256"]),
    "qwen3.5-397b-8gpu": ("qwen3.5-397b-8gpu.yaml", ["workload.requests.closed.concurrency=512"]),
    "deepseek-v3-64gpu": (
        "qwen3.5-397b-8gpu.yaml",
        [
            "model.config=" + os.path.join(ROOT, "models", "deepseek-v3.json"),
            "system.nodes=64",
            "workload.requests.closed.concurrency=1024",
        ],
    ),
}

# Tolerances: means over the seeds, counts against tokens.
TOL_THROUGHPUT = 0.03  # relative
TOL_TPOT = 0.03  # relative
TOL_PIM_SHARE = 0.03  # absolute, share of pairs and of active experts on the PIM
# Load chi2/dof between the engines at most this factor over the token engine's own noise floor
# (plus a small absolute margin: the floor itself is estimated from few seeds).
TOL_LOAD_FACTOR = 1.5
TOL_LOAD_MARGIN = 0.3


def run(binary, setup, engine, seed, scheduler, measured, work):
    yaml, overrides = SETUPS[setup]
    out = os.path.join(work, f"{setup}-{scheduler}-{engine}-{seed}.h5")
    cmd = [binary, "run", os.path.join(PAPER, yaml), "-q", "-o", out, "--seed", str(seed)]
    cmd += ["--max-iterations", str(4 + measured)]  # the paper setups warm up for 4
    for o in overrides + [
        "sweep=null",
        "system.engine=" + engine,
        "scheduler.name=" + scheduler,
        "output.layers=true",
    ]:
        cmd += ["-p", o]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        s = f["summary"].attrs
        lay = f["layers"]
        warm = int(s["warmup_iterations"])
        m = lay["iteration"][:] >= warm
        pairs = lay["tokens_in"][:][m].sum()
        experts = lay["experts_gpu"][:][m].sum() + lay["experts_pim"][:][m].sum()
        r = {
            "load": f["expert_load/tokens"][:].astype(float),
            "throughput": float(s["throughput_tokens_per_s"]),
            "tpot": float(s["tpot_mean_ps"]),
            "pim_pairs": lay["tokens_pim"][:][m].sum() / max(pairs, 1),
            "pim_experts": lay["experts_pim"][:][m].sum() / max(experts, 1),
        }
    os.remove(out)
    return r


def chi2_dof(a, b):
    # Two samples of one distribution, scaled to the same total: sum (a - b)^2 / (a + b) over
    # the experts either used, per expert.
    a = a * (b.sum() / a.sum())
    used = (a + b) > 0
    return float(((a - b) ** 2 / (a + b))[used].sum() / max(used.sum(), 1))


def compare(binary, setup, scheduler, seeds, measured, work):
    tok = [run(binary, setup, "tokens", s, scheduler, measured, work) for s in seeds]
    cnt = [run(binary, setup, "counts", s, scheduler, measured, work) for s in seeds]
    half = len(seeds) // 2

    def load(rs):
        return sum(r["load"] for r in rs)

    def mean(rs, k):
        return float(np.mean([r[k] for r in rs]))

    row = {
        "setup": setup,
        "scheduler": scheduler,
        # The engines on the same seeds' halves, and the token engine's two halves.
        "load_chi2": chi2_dof(load(cnt[:half]), load(tok[half:])),
        "load_floor": chi2_dof(load(tok[:half]), load(tok[half:])),
    }
    for k in ("throughput", "tpot", "pim_pairs", "pim_experts"):
        row[k + "_tokens"] = mean(tok, k)
        row[k + "_counts"] = mean(cnt, k)
    row["throughput_rel"] = row["throughput_counts"] / row["throughput_tokens"] - 1
    row["tpot_rel"] = row["tpot_counts"] / row["tpot_tokens"] - 1
    row["ok"] = (
        abs(row["throughput_rel"]) <= TOL_THROUGHPUT
        and abs(row["tpot_rel"]) <= TOL_TPOT
        and abs(row["pim_pairs_counts"] - row["pim_pairs_tokens"]) <= TOL_PIM_SHARE
        and abs(row["pim_experts_counts"] - row["pim_experts_tokens"]) <= TOL_PIM_SHARE
        and row["load_chi2"] <= TOL_LOAD_FACTOR * row["load_floor"] + TOL_LOAD_MARGIN
    )
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sievesim", required=True)
    ap.add_argument("--setups", default="qwen3-30b-1gpu,gpt-oss-120b-4gpu,qwen3.5-397b-8gpu")
    ap.add_argument("--schedulers", default="sieve")
    ap.add_argument("--seeds", type=int, default=4, help="seeds 1..N (even: two halves)")
    ap.add_argument("--measured", type=int, default=4, help="iterations after the warm-up")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    seeds = list(range(1, a.seeds + 1))
    work = a.work or tempfile.mkdtemp(prefix="sievesim-equiv-")
    print(
        "| setup | scheduler | load chi2/dof (floor) | PIM share of pairs, tokens / counts "
        "| PIM share of experts, tokens / counts | throughput tok/s, tokens / counts (diff) "
        "| TPOT us, tokens / counts (diff) | within tolerance |"
    )
    print("|---|---|---|---|---|---|---|---|")
    bad = 0
    for setup in a.setups.split(","):
        for sched in a.schedulers.split(","):
            r = compare(os.path.abspath(a.sievesim), setup, sched, seeds, a.measured, work)
            bad += not r["ok"]
            print(
                f"| {setup} | {sched} | {r['load_chi2']:.2f} ({r['load_floor']:.2f}) "
                f"| {r['pim_pairs_tokens']:.3f} / {r['pim_pairs_counts']:.3f} "
                f"| {r['pim_experts_tokens']:.3f} / {r['pim_experts_counts']:.3f} "
                f"| {r['throughput_tokens']:.0f} / {r['throughput_counts']:.0f} "
                f"({100 * r['throughput_rel']:+.2f} %) "
                f"| {r['tpot_tokens'] / 1e6:.1f} / {r['tpot_counts'] / 1e6:.1f} "
                f"({100 * r['tpot_rel']:+.2f} %) | {'yes' if r['ok'] else 'NO'} |",
                flush=True,
            )
    print(
        f"tolerances: throughput and TPOT {100 * TOL_THROUGHPUT:.0f} %, PIM shares "
        f"{TOL_PIM_SHARE} absolute, load chi2/dof <= {TOL_LOAD_FACTOR} x floor + "
        f"{TOL_LOAD_MARGIN}; seeds {seeds[0]}..{seeds[-1]}, {a.measured} measured iterations"
    )
    if a.check and bad:
        print(f"FAIL: {bad} rows outside the tolerances", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
