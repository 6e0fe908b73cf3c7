#!/usr/bin/env bash
# Routing sources from the command line: importing the FLAME traces, replaying them in a run,
# and `workload-stats`.
source "$(dirname "$0")/common.sh" "$@"
FLAME=$SRC/../shared/traces/flame-moe-290m

step "trace-import"
must_succeed "trace-import flame" "$SIEVESIM" trace-import "$FLAME" -o flame.trace
contains last.out "8 layers x 64 sequences x 10 positions, 64 experts, top-6" "trace-import summary"
[[ $(head -1 flame.trace) == "# sievesim-trace 1" ]] || fail "trace file lacks its format line"
[[ $(wc -l <flame.trace) -eq $((7 + 8 * 64 * 10)) ]] || fail "trace file has the wrong number of rows"
ok "flame.trace has 5120 routing rows"

step "replay in a run (a FLAME-shaped toy model: 64 experts, top-6, 8 MoE layers)"
cat >flame.json <<'JSON'
{"model_type": "qwen3_moe", "hidden_size": 1024, "num_hidden_layers": 9, "mlp_only_layers": [0],
 "intermediate_size": 4096, "moe_intermediate_size": 512, "num_experts": 64,
 "num_experts_per_tok": 6, "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 64,
 "vocab_size": 50304, "torch_dtype": "bfloat16"}
JSON
cat >flame.yaml <<'YAML'
system: {nodes: 4, gpus_per_server: 4}
model: {config: flame.json}
workload:
  mode: decode
  requests: {closed: {concurrency: 64}, output: 3}
  routing: {source: trace, trace: {path: flame.trace}}
YAML
must_succeed "run with trace routing, 1 rank" "$SIEVESIM" run flame.yaml -o one.h5 -q
must_succeed "run with trace routing, 2 ranks" mpirun_np 2 "$SIEVESIM" run flame.yaml -o two.h5 -q
h5diff one.h5 two.h5 /layers /layers >/dev/null || fail "trace replay differs between 1 and 2 ranks"
ok "trace replay is identical on 1 and 2 ranks"

step "workload-stats"
must_succeed "workload-stats on the FLAME trace" "$SIEVESIM" workload-stats flame.yaml --batch 64 --samples 10 --summary
grep -Eq '^ +64 +all +63\.61 ' last.out || { show last.out >&2; fail "FLAME: 63.6 active experts of 64 expected"; }
ok "FLAME trace: 63.6 of 64 experts active per 64-token batch"
must_succeed "workload-stats on the quickstart" "$SIEVESIM" workload-stats "$QUICKSTART"
[[ $(grep -c '^ *256 ' last.out) -eq 49 ]] || { show last.out >&2; fail "expected 48 layers + all for batch 256"; }
ok "one row per MoE layer and one for all"

step "bad input"
rc=0
"$SIEVESIM" run "$QUICKSTART" -q -o bad.h5 -p workload.routing.source=trace \
  -p workload.routing.trace.path="$WORK/flame.trace" 2>err.txt || rc=$?
[[ $rc -eq 2 ]] && grep -q "trace has 64 experts, the model 128" err.txt && [[ ! -e bad.h5 ]] ||
  { show err.txt >&2; fail "expert-count mismatch must be exit 2 naming the counts"; }
ok "a trace of another expert count is rejected"
rc=0
"$SIEVESIM" trace-import /nonexistent -o x.trace 2>err.txt || rc=$?
[[ $rc -eq 2 && ! -e x.trace ]] || { show err.txt >&2; fail "importing a missing folder must exit 2"; }
ok "importing a missing folder is rejected"
echo "test_workload: all checks passed in ${SECONDS}s"
