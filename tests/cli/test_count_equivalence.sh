# The count engine against the token engine (bench/count_equivalence.py --check): per-expert
# loads, Sieve's split, throughput and TPOT within the script's tolerances over 4 seeds on the
# three paper setups and DeepSeek-V3 on 64 nodes (few iterations: the table in bench/RESULTS.md
# comes from longer runs of the same script).
# usage: bash test_count_equivalence.sh SIEVESIM_BINARY SOURCE_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" "$@"
need_python

step "equivalence"
rc=0
"$PY" "$SRC/bench/count_equivalence.py" --sievesim "$SIEVESIM" --seeds 4 --measured 2 \
  --work "$WORK" --check \
  --setups qwen3-30b-1gpu,gpt-oss-120b-4gpu,qwen3.5-397b-8gpu,deepseek-v3-64gpu \
  >table.out 2>table.err || rc=$?
sed 's/^/    /' table.out
[[ $rc -eq 0 ]] || { show table.err >&2; fail "count engine outside the tolerances (exit $rc)"; }
ok "every setup within the tolerances"
passed
