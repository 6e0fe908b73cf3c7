#!/usr/bin/env bash
# The effect of each fidelity choice on the paper setups (bench/RESULTS.md, "What each change
# does"): one knob at a time against the shipped configs/paper/ setup, throughput in output
# tokens/s per GPU at concurrency 1, 16 and 256.
#
#   bash bench/fidelity_effects.sh [build-dir] [out-dir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/bench/fidelity-results}
mkdir -p "$out"
py=python3
for p in ${SIEVESIM_PYTHON:-} python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' 2>/dev/null; then py=$p; break; fi
done
conc=workload.requests.closed.concurrency=1,16,256

# run NAME SETUP SCHEDULERS [-p key=value]...: one sweep over concurrency, rows "NAME scheduler c tok/s".
run() {
  local name=$1 setup=$2 scheds=$3
  shift 3
  mkdir -p "$(dirname "$out/$name.h5")"
  "$build/sievesim" run "$root/configs/paper/$setup.yaml" -q --schedulers "$scheds" --sweep "$conc" \
    -o "$out/$name.h5" "$@" >/dev/null
  "$py" - "$out/$name.h5" "$name" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
runs = f["runs"]
for run in sorted(runs, key=lambda r: (text(runs[r].attrs["scheduler"]), float(text(runs[r].attrs["sweep_value"])))):
    g = runs[run]
    s = g["summary"].attrs
    print(f"{sys.argv[2]:<34} {text(g.attrs['scheduler']):<7} {float(text(g.attrs['sweep_value'])):>5.0f} "
          f"{s['throughput_tokens_per_s_per_gpu']:>10.1f}")
PY
}

echo "# name                              sched   conc  tok/s/GPU"
for setup in qwen3-30b-1gpu gpt-oss-120b-4gpu qwen3.5-397b-8gpu; do
  # PIMoE: channels each expert spans (1 = channel-level EP as published; all = striped).
  for cpe in 1 4 16 128; do
    run "$setup/pimoe-ch$cpe" "$setup" pimoe -p scheduler.pimoe.channels_per_expert=$cpe
  done
  # Sieve's decision: side stream (default), on the compute stream, or free.
  run "$setup/sieve-side" "$setup" sieve
  run "$setup/sieve-blocking" "$setup" sieve -p scheduler.sieve.decision_stream=blocking
  run "$setup/sieve-free" "$setup" sieve -p scheduler.sieve.decision_us=0
done
# All-to-all calls' fixed cost, on the multi-GPU setups.
for setup in gpt-oss-120b-4gpu qwen3.5-397b-8gpu; do
  run "$setup/no-call-cost" "$setup" pimoe,duplex,sieve \
    -p system.scale_up.dispatch_call_us=0 -p system.scale_up.combine_call_us=0
done
# GPT-OSS with its checkpoint's MXFP4 experts (the earlier paper setup) against BF16.
run gpt-oss-120b-4gpu/mxfp4 gpt-oss-120b-4gpu pimoe,duplex,sieve -p model.weight_dtype=checkpoint
run gpt-oss-120b-4gpu/bf16 gpt-oss-120b-4gpu pimoe,duplex,sieve
