"""All-to-all bytes, load imbalance and throughput of result files with /layers rows.

usage: python3 bench/placement_traffic.py RESULT.h5...

Per run (sweep point): dispatch + combine bytes sent between nodes per output token, the load
imbalance (per iteration and MoE layer, the largest node's expert (token, expert) pairs over the
mean node's, averaged) and throughput, all over the measured iterations (after the warm-up).
"""
import sys

import h5py
import numpy as np


def runs(h):
    if "runs" in h:
        for name in h["runs"]:
            yield name, h["runs"][name]
    else:
        yield "", h


def main(paths):
    print(f"{'file':34s} {'point':18s} {'tok/s/GPU':>10s} {'MB/token':>9s} {'imbalance':>9s} "
          f"{'TPOT p50':>9s}")
    for path in paths:
        with h5py.File(path, "r") as h:
            for name, g in runs(h):
                s = g["summary"].attrs
                L = g["layers"]
                measured = L["iteration"][:] >= s["warmup_iterations"]
                moe = L["tokens_in"][:][measured]
                key = (L["iteration"][:][measured] * 100000 + L["layer"][:][measured])
                order = np.argsort(key, kind="stable")
                k, t = key[order], moe[order]
                starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
                sums = np.add.reduceat(t, starts)
                maxs = np.maximum.reduceat(t, starts)
                count = np.diff(np.r_[starts, len(k)])
                keep = sums > 0  # layers without expert work (none here) would divide by zero
                imbalance = np.mean(maxs[keep] / (sums[keep] / count[keep]))
                mb = L["bytes_sent"][:][measured].sum() / s["output_tokens"] / 1e6
                label = path.rsplit("/", 1)[-1].removesuffix(".h5")
                print(f"{label:34s} {name:18s} {s['throughput_tokens_per_s_per_gpu']:10.1f} "
                      f"{mb:9.3f} {imbalance:9.3f} {s['tpot_p50_ps'] / 1e9:7.3f}ms")


if __name__ == "__main__":
    main(sys.argv[1:])
