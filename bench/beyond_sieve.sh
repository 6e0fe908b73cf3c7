#!/usr/bin/env bash
# Issue 16's ablation: Sieve against its variants beyond the paper, each alone and combined, on
# the three paper setups (configs/paper/, their full concurrency sweeps) and on GPT-OSS-20B with
# its own recorded routing (configs/gpt-oss-20b/4gpu.yaml, concurrency 16/64/256, 4 requests per
# client, 400 iterations of which 100 warm-up). Prints, per setup and variant, the throughput
# ratio over Sieve at every concurrency, the worst ratio over the sweep, and the best ratio at
# concurrency >= 64 among points whose TPOT p50 is no worse than Sieve's.
#
#   bash bench/beyond_sieve.sh [build-dir] [out-dir]
#   VARIANTS="name:-p key=value ...;..." replaces the variant list; SKIP_EXISTING=1 keeps the
#   result files already in OUT-DIR (to add a variant to an earlier run).
#
# Results: OUT-DIR/<setup>-<variant>.h5 and OUT-DIR/report.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/bench/beyond-sieve-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
default_variants="sieve:;token-split:-p scheduler.sieve.split=token;decide-ahead:-p scheduler.sieve.decide=ahead"
# (Read whole before matching: grep -q would close the pipe early, and under pipefail the
# writer's SIGPIPE would read as "no such key".)
params=$("$build/sievesim" params 2>/dev/null)
if [[ $params == *system.micro_batches* ]]; then
  default_variants+=";micro-batch:-p system.micro_batches=2"
  default_variants+=";all:-p scheduler.sieve.split=token -p scheduler.sieve.decide=ahead -p system.micro_batches=2"
else
  default_variants+=";token+ahead:-p scheduler.sieve.split=token -p scheduler.sieve.decide=ahead"
fi
IFS=';' read -r -a variants <<<"${VARIANTS:-$default_variants}"
trace=$out/gpt-oss-20b.trace.gz
[[ -s $trace ]] || "$build/sievesim" trace-import "$root/../shared/traces/gpt-oss-20b" -o "$trace"
real=(-p "workload.requests.prompt.trace.path=$trace" -p "workload.requests.output.trace.path=$trace"
  -p "workload.routing.trace.path=$trace" -p "workload.routing.fitted.path=$trace"
  -p workload.requests.closed.per_client=4 -p workload.max_iterations=400
  -p workload.warmup_iterations=100)
setups=(paper/qwen3-30b-1gpu paper/gpt-oss-120b-4gpu paper/qwen3.5-397b-8gpu gpt-oss-20b/4gpu)
for setup in "${setups[@]}"; do
  name=${setup#*/}
  [[ $setup == gpt-oss-20b/* ]] && name=gpt-oss-20b-4gpu-trace
  for v in "${variants[@]}"; do
    label=${v%%:*}
    read -r -a opts <<<"${v#*:}"
    extra=()
    [[ $setup == gpt-oss-20b/* ]] && extra=("${real[@]}")
    [[ -n ${SKIP_EXISTING:-} && -s $out/$name-$label.h5 ]] && continue
    "$build/sievesim" run "$root/configs/$setup.yaml" -q -o "$out/$name-$label.h5" \
      "${extra[@]}" "${opts[@]}" 2>/dev/null
  done
done
/usr/bin/python3 - "$out" "${variants[@]%%:*}" <<'PY' | tee "$out/report.txt"
import sys, h5py
out, labels = sys.argv[1], sys.argv[2:]
setups = ["qwen3-30b-1gpu", "gpt-oss-120b-4gpu", "qwen3.5-397b-8gpu", "gpt-oss-20b-4gpu-trace"]
def points(path):
    with h5py.File(path, "r") as h:
        rows = {}
        for name, g in h["runs"].items():
            s = g["summary"].attrs
            c = int(name.split("=")[1])
            rows[c] = (s["throughput_tokens_per_s_per_gpu"], s["tpot_p50_ps"])
        return rows
for setup in setups:
    base = points(f"{out}/{setup}-{labels[0]}.h5")
    cs = sorted(base)
    print(f"\n{setup}: throughput over {labels[0]} (tokens/s/GPU)")
    print(f"  {'variant':14s}" + "".join(f"{c:>7d}" for c in cs) + "    worst  best@>=64,TPOT<=")
    for lab in labels:
        p = points(f"{out}/{setup}-{lab}.h5")
        r = {c: p[c][0] / base[c][0] for c in cs}
        ok = [r[c] for c in cs if c >= 64 and p[c][1] <= base[c][1]]
        print(f"  {lab:14s}" + "".join(f"{r[c]:7.3f}" for c in cs) +
              f"  {min(r.values()):7.3f}  {max(ok) if ok else float('nan'):7.3f}")
PY
