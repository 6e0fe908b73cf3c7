#!/usr/bin/env bash
# The reference runs: a fixed set of small experiments that together reach every scheduler,
# placement policy, serving mode, routing source and the rebalancing coordinator, each on 1, 2
# and 4 ranks. Their digests (bench/result_digest.py) are the test that a change which should
# not change results (a refactoring) did not: run this before and after and `diff` the digests.
#
# usage: bash bench/reference_runs.sh OUT_DIR [SIEVESIM_BINARY]
#   writes OUT_DIR/np<R>/<run>.h5 (the same relative name in each, as the resolved configuration
#   in the file records the output path) and OUT_DIR/digests.txt (one line per object and run, the rank
#   count left out of the names so the three layouts of a run must also agree with each other:
#   OUT_DIR/layouts.txt lists any run whose layouts differ and must stay empty).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${1:?usage: reference_runs.sh OUT_DIR [SIEVESIM_BINARY]}
SIEVESIM=${2:-$ROOT/build/sievesim}
source "$ROOT/scripts/mpi-env.sh"
PY=/usr/bin/python3
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CFG=$ROOT/configs
FLAME=$ROOT/../shared/traces/flame-moe-290m

# name | ranks | experiment | arguments
RUNS=(
  "quickstart-sieve|1 2 4|$CFG/quickstart.yaml|--max-iterations 6"
  "quickstart-all|1 2 4|$CFG/quickstart.yaml|--max-iterations 4 --schedulers gpu-only,noexp,allexp,pimoe,duplex,sieve,oracle"
  "quickstart-serve|1 2 4|$CFG/quickstart.yaml|-p workload.mode=serve -p workload.requests.arrival=poisson -p workload.requests.poisson.rate_per_s=4000 -p workload.requests.poisson.count=96 -p workload.requests.prompt=256 -p workload.requests.output=8 -p workload.batching.assignment=least-loaded"
  "gptoss120b-paper|1 2 4|$CFG/paper/gpt-oss-120b-4gpu.yaml|--max-iterations 8 --sweep workload.requests.closed.concurrency=16,128 --schedulers pimoe,sieve"
  "qwen35-397b-paper|1 2 4|$CFG/paper/qwen3.5-397b-8gpu.yaml|--max-iterations 5 --sweep workload.requests.closed.concurrency=256 -p scheduler.sieve.decision_stream=blocking"
  "qwen35-drift|1 2 4|$CFG/placement/qwen3.5-397b-8gpu-drift.yaml|-p workload.max_iterations=18 -p placement.rebalance_every=6"
  "qwen35-background|1 2 4|$CFG/placement/qwen3.5-397b-8gpu-drift.yaml|-p workload.max_iterations=14 -p placement.rebalance_every=6 -p placement.migration=background -p placement.replica_dispatch=least-loaded --sweep placement.policy=eplb"
  "quickstart-contention|1 2 4|$CFG/quickstart.yaml|--max-iterations 4 -p system.pim.preset=hbm3-bank-pim -p system.gpu.preset=h100 -p system.dispatch=per-expert -p placement.policy=random"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The FLAME trace replay, on a FLAME-shaped toy model (as tests/cli/test_workload.sh).
"$SIEVESIM" trace-import "$FLAME" -o "$work/flame.trace" >/dev/null
cat >"$work/flame.json" <<'JSON'
{"model_type": "qwen3_moe", "hidden_size": 1024, "num_hidden_layers": 9, "mlp_only_layers": [0],
 "intermediate_size": 4096, "moe_intermediate_size": 512, "num_experts": 64,
 "num_experts_per_tok": 6, "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 64,
 "vocab_size": 50304, "torch_dtype": "bfloat16"}
JSON
cat >"$work/flame.yaml" <<YAML
system: {nodes: 4, gpus_per_server: 4}
model: {config: flame.json}
workload:
  mode: decode
  requests: {closed: {concurrency: 64}, output: 3}
  routing: {source: trace, trace: {path: flame.trace}}
scheduler: {name: duplex}
YAML
RUNS+=("flame-trace|1 2 4|$work/flame.yaml|")

: >"$OUT/digests.txt"
: >"$OUT/layouts.txt"
for spec in "${RUNS[@]}"; do
  IFS='|' read -r name ranks yaml args <<<"$spec"
  first=""
  for r in $ranks; do
    mkdir -p "$OUT/np$r"
    f=$OUT/np$r/$name.h5
    # shellcheck disable=SC2086
    if [[ $r == 1 ]]; then
      (cd "$OUT/np$r" && "$SIEVESIM" run "$yaml" $args -o "$name.h5" -q)
    else
      (cd "$OUT/np$r" && mpirun -np "$r" --oversubscribe "$SIEVESIM" run "$yaml" $args -o "$name.h5" -q)
    fi
    "$PY" "$HERE/result_digest.py" "$f" >"$work/d.txt"
    if [[ -z $first ]]; then
      first=$work/first.txt
      cp "$work/d.txt" "$first"
      sed "s|^|$name |" "$work/d.txt" >>"$OUT/digests.txt"
    elif ! cmp -s "$first" "$work/d.txt"; then
      echo "$name: np$r differs from np${ranks%% *}" >>"$OUT/layouts.txt"
    fi
  done
  echo "$name: $(grep -c "^$name " "$OUT/digests.txt") objects, ranks $ranks"
done
if [[ -s $OUT/layouts.txt ]]; then
  cat "$OUT/layouts.txt" >&2
  exit 1
fi
echo "digests in $OUT/digests.txt"
