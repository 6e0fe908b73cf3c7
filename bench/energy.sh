#!/usr/bin/env bash
# Issue 20: energy of every scheduler on the three paper setups (configs/paper/*.yaml), at three
# concurrencies, short runs (36 iterations of which the setups' 4 warm-up). Prints, per setup and
# concurrency, each scheduler's throughput, tokens per joule, joules per token, where the energy
# goes and the mean power per GPU and per PIM stack, then whether the fastest scheduler is also
# the one that spends least energy per token. The oracle runs at the two lower concurrencies only
# (its exact search grows with the tokens per GPU).
#
#   bash bench/energy.sh [build-dir] [out-dir]
#
# Results: OUT-DIR/<setup>.h5, OUT-DIR/<setup>-oracle.h5 and OUT-DIR/report.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/bench/energy-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
iterations=${ITERATIONS:-36}
for setup in qwen3-30b-1gpu gpt-oss-120b-4gpu qwen3.5-397b-8gpu; do
  cfg=$root/configs/paper/$setup.yaml
  "$build/sievesim" run "$cfg" -q --max-iterations "$iterations" \
    --schedulers gpu-only,noexp,allexp,pimoe,duplex,sieve \
    --sweep workload.requests.closed.concurrency=16,64,256 -o "$out/$setup.h5" 2>/dev/null
  "$build/sievesim" run "$cfg" -q --max-iterations "$iterations" --schedulers oracle \
    --sweep workload.requests.closed.concurrency=16,64 -o "$out/$setup-oracle.h5" 2>/dev/null
done
/usr/bin/python3 - "$out" <<'PY' | tee "$out/report.txt"
import sys, h5py
out = sys.argv[1]
setups = ["qwen3-30b-1gpu", "gpt-oss-120b-4gpu", "qwen3.5-397b-8gpu"]
parts = [("GPU", "energy_gpu_compute_J"), ("HBM", "energy_gpu_hbm_J"), ("PIM", "energy_pim_J"),
         ("link", "energy_link_J"), ("static", "energy_static_J")]
def runs(path):
    rows = []
    with h5py.File(path, "r") as h:
        for name, g in h["runs"].items():
            s = dict(g["summary"].attrs)
            sched = g.attrs["scheduler"]
            sched = sched.decode() if isinstance(sched, bytes) else sched
            rows.append((int(name.split("=")[-1]), sched, s))
    return rows
verdicts = []
for setup in setups:
    rows = runs(f"{out}/{setup}.h5") + runs(f"{out}/{setup}-oracle.h5")
    print(f"\n### {setup}\n")
    print("| conc. | scheduler | tokens/s/GPU | tokens/J | mJ/token | "
          + " | ".join(p for p, _ in parts) + " | W/GPU | W/stack |")
    print("|---|---|---|---|---|" + "---|" * len(parts) + "---|---|")
    for c in sorted({r[0] for r in rows}):
        at = [r for r in rows if r[0] == c]
        for _, sched, s in at:
            total = s["energy_total_J"]
            shares = " | ".join(f"{100 * s[k] / total:.0f}%" for _, k in parts)
            print(f"| {c} | {sched} | {s['throughput_tokens_per_s_per_gpu']:.0f} | "
                  f"{s['output_tokens_per_joule']:.2f} | {1e3 * s['joules_per_output_token']:.2f} | "
                  f"{shares} | {s['power_per_gpu_W']:.0f} | {s['power_per_pim_stack_W']:.1f} |")
        fast = max(at, key=lambda r: r[2]["throughput_tokens_per_s_per_gpu"])
        thrifty = max(at, key=lambda r: r[2]["output_tokens_per_joule"])
        verdicts.append((setup, c, fast[1], thrifty[1],
                         thrifty[2]["output_tokens_per_joule"] / fast[2]["output_tokens_per_joule"]))
print("\n### Fastest against least energy per token\n")
print("| setup | conc. | fastest | least J/token | its tokens/J over the fastest's |")
print("|---|---|---|---|---|")
for setup, c, fast, thrifty, gain in verdicts:
    print(f"| {setup} | {c} | {fast} | {thrifty} | {gain:.3f} |")
PY
