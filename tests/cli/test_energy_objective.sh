#!/usr/bin/env bash
# Sieve's energy objective (scheduler.sieve.objective: energy): the greedy minimizes a layer's
# joules instead of its time. At low load, where PIM reads weights for a few tokens at a fraction
# of the GPU's energy per byte, it must use less energy per output token than the time objective
# (and may be slower); it refuses the variants it does not support.
# usage: bash test_energy_objective.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python

step "Qwen3-30B paper setup, 16 requests: time against energy objective"
must_succeed "run the two objectives" "$SIEVESIM" run "$SRC/configs/paper/qwen3-30b-1gpu.yaml" -q \
  --sweep workload.requests.closed.concurrency=16 --sweep scheduler.sieve.objective=time,energy \
  -p workload.max_iterations=16 -o obj.h5
"$PY" - obj.h5 >check.out <<'PY' || { show check.out >&2; fail "energy objective"; }
import sys, h5py
runs = h5py.File(sys.argv[1], "r")["runs"]
t = runs["concurrency=16,objective=time"]["summary"].attrs
e = runs["concurrency=16,objective=energy"]["summary"].attrs
assert e["output_tokens_per_joule"] > 1.02 * t["output_tokens_per_joule"], (
    t["output_tokens_per_joule"], e["output_tokens_per_joule"])
assert e["throughput_tokens_per_s"] <= t["throughput_tokens_per_s"]
assert e["energy_pim_J"] > t["energy_pim_J"], "the energy objective keeps more experts on the PIM"
assert e["records_dispatched"] == e["records_combined"]
print("ok tokens/J %.2f -> %.2f, tokens/s %.0f -> %.0f" % (
    t["output_tokens_per_joule"], e["output_tokens_per_joule"],
    t["throughput_tokens_per_s"], e["throughput_tokens_per_s"]))
PY
ok "$(cat check.out)"

step "objective: energy with a token split is refused"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q -p scheduler.sieve.objective=energy -p scheduler.sieve.split=token \
  -o bad.h5 2>bad.err || rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] || { show bad.err >&2; fail "exit $rc, expected 2 and one line"; }
contains bad.err "scheduler.sieve.objective" "the error names the key"
[[ ! -e bad.h5 && ! -e bad.h5.partial ]] || fail "a result file was left behind"
ok "exit 2: $(cat bad.err)"

passed
