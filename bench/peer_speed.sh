#!/usr/bin/env bash
# sievesim beside its peer BLIS (inference-sim; ../shared/peers/blis, README there) on the same
# serving work (issue 19 item 4): Qwen3-30B-A3B on one H100, GPU only, 256 requests of 512 + 128
# tokens from 64 closed-loop clients, chunked prefill of 2048 tokens
# (configs/peers/qwen3-30b-h100-serving.yaml). Wall time (median of REPS, each tool alone on the
# machine in turn), and what each simulated: throughput and TPOT (BLIS: its inter-token latency).
# usage: bash bench/peer_speed.sh [BUILD_DIR] [REPS]
source "$(dirname "${BASH_SOURCE[0]}")/wall_time.sh" "${1:-}" "${2:-}" 5
blis_dir=${BLIS_DIR:-$ROOT/../shared/peers/blis}
config=$ROOT/configs/peers/qwen3-30b-h100-serving.yaml

median_s() { echo "$(median_ns "$@") / 1000000000" | bc -l | xargs printf "%.3f"; }
blis_args=(run --model qwen/qwen3-30b-a3b --hardware H100 --tp 1 --num-requests 256
  --concurrency 64 --prompt-tokens 512 --prompt-tokens-stdev 0 --prompt-tokens-min 512
  --prompt-tokens-max 512 --output-tokens 128 --output-tokens-stdev 0 --output-tokens-min 128
  --output-tokens-max 128 --max-num-batched-tokens 2048 --latency-model trained-physics
  --metrics-path "$work/blis.json")

echo "sievesim $("$bin" --version) beside BLIS ($blis_dir), median of $reps, $(nproc) cores, $(uptime | sed 's/.*load/load/')"
blis_s=$(cd "$blis_dir" && median_s ./blis "${blis_args[@]}")
counts_s=$(median_s "$bin" run "$config" -q -o "$work/counts.h5")
tokens_s=$(median_s "$bin" run "$config" -q -o "$work/tokens.h5" -p system.engine=tokens)
summary() {  # summary FILE.h5: throughput (tokens/s) and TPOT mean (ms)
  /usr/bin/python3 -c 'import h5py, sys; s = h5py.File(sys.argv[1], "r")["summary"].attrs; print("%.0f %.2f" % (s["throughput_tokens_per_s"], s["tpot_mean_ps"] / 1e9))' "$1"
}
read -r b_tp b_tpot < <(/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print("%.0f %.2f" % (m["tokens_per_sec"], m["itl_mean_ms"]))' "$work/blis.json")
read -r c_tp c_tpot < <(summary "$work/counts.h5")
read -r t_tp t_tpot < <(summary "$work/tokens.h5")
printf '%-26s %8s %14s %10s\n' "simulator" "wall s" "throughput/s" "TPOT ms"
printf '%-26s %8s %14s %10s\n' "BLIS (trained-physics)" "$blis_s" "$b_tp" "$b_tpot"
printf '%-26s %8s %14s %10s\n' "sievesim engine: counts" "$counts_s" "$c_tp" "$c_tpot"
printf '%-26s %8s %14s %10s\n' "sievesim engine: tokens" "$tokens_s" "$t_tp" "$t_tpot"
