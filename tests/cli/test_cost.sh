#!/usr/bin/env bash
# `sievesim cost`: JSON answers of the hardware models, the calibration numbers through the CLI,
# and bad questions rejected with exit code 2.
source "$(dirname "$0")/common.sh" "$@"

# json FILE EXPR: evaluates a python expression over the parsed JSON `d`.
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# check FILE EXPR DESCRIPTION: the python expression must be true.
check() { [[ $(json "$1" "$2") == True ]] || { show "$1" >&2; fail "$3 ($2)"; }; }

step "PIM GEMV, calibration shape, one HBM3 stack"
must_succeed "cost pim gemv" "$SIEVESIM" cost pim --preset hbm3-bank-pim --rows 2048 --cols 768 --tokens 1 --stacks 1
cp last.out gemv.json
# calibration.md's 0.55-0.9 / 0.4-0.75 us bands, plus the 128 input writes spaced tCCD_L (AttAcc) instead
# of tCCD_S: +197 ns (tests/unit/test_calibration.cpp).
check gemv.json "747 <= d['time_ns'] <= 1097" "power-limited bank PIM GEMV in 0.75-1.1 us"
check gemv.json "d['time_ps'] == round(d['time_ns'] * 1000)" "time in ps and ns agree"
check gemv.json "d['commands_per_channel']['mac'] == 96" "96 all-bank MACs per channel"
check gemv.json "1.8 <= d['ratio_to_roofline'] <= 4.2" "command model 1.8-4.2x the roofline"
# Energy (docs/energy.md): the commands' prices times their counts, over the 16 channels.
check gemv.json "abs(d['energy_pj'] - 16 * sum(d['commands_per_channel'][k] * d['energy_pj_per_command'][k] for k in ('activate', 'mac', 'mac_vector', 'write_input', 'read_output') if k != 'mac_vector') - 16 * d['commands_per_channel']['mac_vectors'] * d['energy_pj_per_command']['mac_vector']) < 1e-6 * d['energy_pj']" "GEMV energy = sum of its commands' energies"
check gemv.json "d['energy_pj_per_command']['mac'] == 64 * 32 * 8 * 0.44" "an all-bank MAC reads 64 x 32 B at 0.44 pJ/bit"
check gemv.json "0 < d['mean_power_W'] < 35" "under the stack's 35 W MAC budget"
check gemv.json "abs(d['achieved_bandwidth_GBps'] - d['bytes'] / d['time_ns']) < 1e-6 * d['achieved_bandwidth_GBps']" "achieved bandwidth = bytes / time"
must_succeed "cost pim gemv --power-limit off" "$SIEVESIM" cost pim --preset hbm3-bank-pim --rows 2048 --cols 768 --stacks 1 --power-limit off
cp last.out free.json
check free.json "597 <= d['time_ns'] <= 947" "unlimited bank PIM GEMV in 0.6-0.95 us"
[[ $(json free.json "d['time_ps']") -lt $(json gemv.json "d['time_ps']") ]] || fail "lifting the power limit must speed the GEMV up"
ok "the power limit slows the MACs"
must_succeed "two tokens" "$SIEVESIM" cost pim --rows 2048 --cols 768 --stacks 1 --tokens 2
check last.out "d['passes'] == 2" "two tokens, two passes"

step "PIM attention, 64 heads of 128 on one stack"
must_succeed "cost pim attention" "$SIEVESIM" cost pim --preset hbm3-bank-pim --kernel attention --seq-len 4096 --heads 64 --head-dim 128
check last.out "4600 <= d['achieved_bandwidth_GBps'] <= 6030" "effective 4.6-6.0 TB/s with the power limit (AttAcc config.py: 9x)"

step "GPU grouped GEMM and network all-to-all"
must_succeed "cost gpu" "$SIEVESIM" cost gpu --preset h100 --experts 1 --tokens-per-expert 1 --rows 2048 --cols 2304
# 3.4 us of weight bytes at peak bandwidth, plus the GEMM kernel's latency (DeepGEMM's small-M
# rows: ~1.9 us) and its fixed cost (1 us in a CUDA graph).
check last.out "d['bound'] == 'memory' and 3400 <= d['time_ns'] <= 7000" "one-token expert is weight-read bound, 3.4-7 us"
must_succeed "cost gpu, per-expert counts" "$SIEVESIM" cost gpu --experts 3 --tokens-per-expert 1,2,3 --rows 1024 --cols 1024
check last.out "d['shape']['tokens_per_expert'] == [1, 2, 3]" "per-expert token counts"
must_succeed "cost net" "$SIEVESIM" cost net --nodes 8 --gpus-per-server 8 --tokens-per-node 64 --hidden 2048 --topk 8
cp last.out net.json
must_succeed "cost net, low-latency mode" "$SIEVESIM" cost net --nodes 8 --gpus-per-server 8 --tokens-per-node 64 --hidden 2048 --topk 8 --mode per-expert
[[ $(json last.out "d['bytes_per_node'] > 1.5 * $(json net.json "d['bytes_per_node']")") == True ]] ||
  fail "one copy per expert must move more bytes than one per destination"
ok "per-expert dispatch moves more bytes than de-duplicated dispatch"

step "bad questions"
expect2() {
  local what=$1 frag=$2 rc=0
  shift 2
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -eq 2 ]] || { show err.txt >&2; fail "$what: exit $rc, expected 2"; }
  grep -qF -- "$frag" err.txt || { show err.txt >&2; fail "$what: stderr lacks '$frag'"; }
  ok "$what"
}
# The -p examples each subcommand's --help gives must work as written.
for sub in pim gpu net; do
  must_succeed "cost $sub --help" "$SIEVESIM" cost $sub --help
  grep -q "Override one parameter of the" last.out || fail "cost $sub: -p help is not about the preset"
done
must_succeed "cost pim -p example" "$SIEVESIM" cost pim --rows 2048 --cols 768 --stacks 1 -p tRFC_ns=280 -p power_limit=false
must_succeed "cost gpu -p example" "$SIEVESIM" cost gpu --experts 1 --tokens-per-expert 1 --rows 64 --cols 64 -p hbm_bandwidth_GBps=4000 -p fixed_graph_us=0
must_succeed "cost net -p example" "$SIEVESIM" cost net --nodes 8 --gpus-per-server 8 --tokens-per-node 64 --hidden 2048 --topk 8 -p bandwidth_GBps=450
ok "the -p examples of the cost help texts run"
expect2 "unknown preset" "unknown pim preset 'nope'" "$SIEVESIM" cost pim --preset nope --rows 1 --cols 1
expect2 "unknown preset parameter" "pim.bogus: unknown key" "$SIEVESIM" cost pim --rows 8 --cols 8 -p bogus=1
expect2 "missing gemv shape" "--rows/--cols" "$SIEVESIM" cost pim
expect2 "bad dtype" "--dtype" "$SIEVESIM" cost pim --rows 8 --cols 8 --dtype int3
expect2 "zero tokens" "--tokens" "$SIEVESIM" cost pim --rows 8 --cols 8 --tokens 0
expect2 "wrong number of token counts" "--tokens-per-expert" "$SIEVESIM" cost gpu --experts 3 --tokens-per-expert 1,2 --rows 8 --cols 8
echo "test_cost: all checks passed in ${SECONDS}s"
