#!/usr/bin/env bash
# Simulator speed and scale (issue 7) on this machine:
#   bash bench/sim_speed.sh [build-dir] [out-dir]
#
# 1. Speed: Qwen3.5-397B-A17B (configs/paper/qwen3.5-397b-8gpu.yaml, decode, closed loop) on
#    8 nodes with 256 requests per node (concurrency 2048, round-robin: 256 decode tokens per
#    node per iteration) at every layout of 8 nodes over 1, 2, 4 and 8 ranks. Each layout runs
#    ITERS_LO and ITERS_HI iterations, best of REPS each; the difference between the two gives
#    the steady-state cost of an iteration without start-up and the HDF5 write.
# 2. Floor: sievesim_bench_alltoall (bench/alltoall_floor.cpp), a bare MPI_Alltoallv with the
#    same record counts, at the same rank counts.
# 3. Scale: SCALE_NODES nodes on SCALE_RANKS ranks (256 requests per node), SCALE_ITERS
#    iterations each, peak memory per rank against MEM_LIMIT_GB for the whole machine; stops
#    at the first size that fails or exceeds the limit.
#
# hbm_utilization is raised from 0.9 to 1.0 so that 256 requests per node fit: a 1024 + 64
# token request of this model holds ~0.2 GB of KV and linear-attention state, and at 0.9 only
# 202 fit beside the weights (the rest would wait in the queue).
#
# Per-rank user CPU and peak RSS come from /usr/bin/time (Debian package `time`) around each
# rank; wall time from the shell. The machine is shared: `uptime` is printed with each table.
# Environment: REPS (3), ITERS_LO (2), ITERS_HI (10), LAYOUTS ("1:8 2:4 4:2 8:1", ranks:nodes
# per rank), SCALE_NODES ("64 128 256 512 1024"), SCALE_RANKS (2), SCALE_ITERS (2),
# MEM_LIMIT_GB (8), SKIP_SCALE (unset; 1 skips part 3), ENGINE (tokens; counts: the count engine,
# whose floor is then an exchange of one record per (node, expert) instead of per (token,
# expert)), SCALE_MODEL (a model config.json for part 3 instead of the setup's).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-${TMPDIR:-/tmp}/sievesim-sim-speed}
reps=${REPS:-3}
iters_lo=${ITERS_LO:-2}
iters_hi=${ITERS_HI:-10}
layouts=${LAYOUTS:-"1:8 2:4 4:2 8:1"}
scale_nodes=${SCALE_NODES:-"64 128 256 512 1024"}
scale_ranks=${SCALE_RANKS:-2}
scale_iters=${SCALE_ITERS:-2}
mem_limit_gb=${MEM_LIMIT_GB:-8}
engine=${ENGINE:-tokens}
scale_model=${SCALE_MODEL:-}
tokens_per_node=256
config=$root/configs/paper/qwen3.5-397b-8gpu.yaml
bin=$build/sievesim
floor_bin=$build/bench/sievesim_bench_alltoall
for f in "$bin" "$floor_bin" /usr/bin/time; do
  [[ -x $f ]] || { echo "sim_speed: $f not found (build both targets; apt-get install time)" >&2; exit 2; }
done
source "$root/scripts/mpi-env.sh"
mkdir -p "$out"
log=$out/sim_speed.txt
: >"$log"
say() { echo "$*" | tee -a "$log"; }

# Model figures the tables need, from the resolved configuration.
layers=$("$bin" validate "$config" -p sweep=null | awk '/layers \(MoE\)/{print $NF}' | tr -d '()')
topk=$("$bin" validate "$config" -p sweep=null | awk '/routed experts, top-k/{print $NF}')
experts=$("$bin" validate "$config" -p sweep=null | awk '/routed experts, top-k/{print $(NF-1)}' | tr -d ',')

# run_sim TAG NODES RANKS NODES_PER_RANK ITERATIONS: one run, each rank under /usr/bin/time
# (elapsed, user s, system s, max RSS kB to TAG.time.RANK); prints the outer wall seconds.
run_sim() {
  local tag=$1 nodes=$2 ranks=$3 npr=$4 iters=$5
  local args=(run "$config" -q -o "$out/$tag.h5" --max-iterations "$iters" --nodes-per-rank "$npr"
    -p sweep=null -p system.nodes="$nodes"
    -p workload.requests.closed.concurrency=$((nodes * tokens_per_node))
    -p workload.batching.hbm_utilization=1.0 -p output.layers=false -p system.engine="$engine")
  [[ $tag != scale-* || -z $scale_model ]] || args+=(-p model.config="$scale_model")
  rm -f "$out/$tag".time.*
  local wrap='exec /usr/bin/time -f "%e %U %S %M" -o "$0.${OMPI_COMM_WORLD_RANK:-0}" "$@"'
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  if [[ $ranks -eq 1 ]]; then
    sh -c "$wrap" "$out/$tag.time" "$bin" "${args[@]}" >"$out/$tag.log" 2>&1 || rc=$?
  else
    mpirun --oversubscribe -np "$ranks" sh -c "$wrap" "$out/$tag.time" "$bin" "${args[@]}" \
      >"$out/$tag.log" 2>&1 || rc=$?
  fi
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
  return $rc
}
# Sum of user CPU seconds over the ranks, and the largest peak RSS of one rank (MB).
cpu_sum() { cat "$out/$1".time.* | awk '{s += $2} END {printf "%.2f", s}'; }
rss_max_mb() { cat "$out/$1".time.* | awk '$4 > m {m = $4} END {printf "%.0f", m / 1024}'; }
rss_sum_mb() { cat "$out/$1".time.* | awk '{s += $4} END {printf "%.0f", s / 1024}'; }
# Output tokens of every iteration (warm-up included: they are simulated all the same).
output_tokens() {
  h5dump -y -w 0 -d /iterations/output_tokens "$out/$1.h5" |
    awk '/DATA \{/{on = 1; next} on && /\}/{on = 0} on {gsub(/,/, " "); for (i = 1; i <= NF; ++i) s += $i} END {print s + 0}'
}
min() { echo "$1 $2" | awk '{print ($1 < $2) ? $1 : $2}'; }

commit=$(git -C "$root" rev-parse --short=12 HEAD)
dirty=$(git -C "$root" status --porcelain --untracked-files=no | grep -q . && echo " (working tree has uncommitted changes)" || true)
say "sievesim simulator speed, binary $("$bin" --version), tree at commit $commit$dirty"
say "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GB", $2 / 1048576}' /proc/meminfo)"
say "Qwen3.5-397B-A17B decode, $layers MoE layers, top-$topk, 8 nodes x $tokens_per_node tokens," \
  "iterations $iters_lo and $iters_hi, best of $reps, engine $engine"
say "load before: $(uptime | sed 's/.*load average/load average/')"
say ""
hdr="ranks nodes/rank | wall s | user CPU s | output tokens | tokens/wall s | steady tokens/wall s | wall per (it, layer) us | floor per layer us | x floor | max RSS/rank MB"
rows=() floors=()
for layout in $layouts; do
  ranks=${layout%%:*}
  npr=${layout##*:}
  best_lo="" best_hi="" tag_hi=""
  for rep in $(seq "$reps"); do
    for iters in "$iters_lo" "$iters_hi"; do
      tag=speed-r$ranks-it$iters-$rep
      w=$(run_sim "$tag" 8 "$ranks" "$npr" "$iters")
      if [[ $iters -eq $iters_lo ]]; then
        best_lo=$(min "${best_lo:-$w}" "$w")
      else
        if [[ -z $best_hi ]] || (($(echo "$w < $best_hi" | bc -l))); then best_hi=$w tag_hi=$tag; fi
      fi
    done
  done
  tok_hi=$(output_tokens "$tag_hi")
  tok_lo=$(output_tokens "speed-r$ranks-it$iters_lo-1")
  # The count engine sends one record per (node, expert copy): at most E per node.
  floor_units=(--tokens-per-node "$tokens_per_node" --top-k "$topk")
  [[ $engine == tokens ]] || floor_units=(--tokens-per-node "$experts" --top-k 1)
  floor=$(mpirun --oversubscribe -np "$ranks" "$floor_bin" --nodes 8 "${floor_units[@]}" \
    --layers "$layers" --iterations 4 --reps "$reps")
  floors+=("$floor")
  floor_us=$(echo "$floor" | sed -n 's/.* per_layer_us=\([0-9.]*\).*/\1/p')
  # Steady state: what the extra iterations cost, start-up and file write cancelled out.
  d_wall=$(echo "$best_hi - $best_lo" | bc -l)
  per_layer_us=$(echo "$d_wall * 1000000 / (($iters_hi - $iters_lo) * $layers)" | bc -l)
  rows+=("$(printf "%5d %10d | %6.2f | %10s | %13d | %13.0f | %20.0f | %23.0f | %18.0f | %7.1f | %15s" \
    "$ranks" "$npr" "$best_hi" "$(cpu_sum "$tag_hi")" "$tok_hi" "$(echo "$tok_hi / $best_hi" | bc -l)" \
    "$(echo "($tok_hi - $tok_lo) / $d_wall" | bc -l)" "$per_layer_us" "$floor_us" \
    "$(echo "$per_layer_us / $floor_us" | bc -l)" "$(rss_max_mb "$tag_hi")")")
done
say ""
say "$hdr"
for r in "${rows[@]}"; do say "$r"; done
say "(wall, CPU, tokens and RSS: the best $iters_hi-iteration run; steady and per (it, layer): its"
say " difference to the best $iters_lo-iteration run; floor: 2 bare MPI_Alltoallv per MoE layer)"
for f in "${floors[@]}"; do say "$f"; done
say "load after: $(uptime | sed 's/.*load average/load average/')"

if [[ -z ${SKIP_SCALE:-} ]]; then
  say ""
  say "scale: $scale_ranks ranks, $tokens_per_node requests per node, $scale_iters iterations, limit $mem_limit_gb GB"
  say "nodes | wall s | s per iteration | user CPU s | max RSS/rank MB | all ranks MB | within limit"
  largest=0
  for nodes in $scale_nodes; do
    tag=scale-n$nodes
    if ! w=$(run_sim "$tag" "$nodes" "$scale_ranks" $((nodes / scale_ranks)) "$scale_iters"); then
      say "$(printf "%5d | failed (see %s)" "$nodes" "$out/$tag.log")"
      break
    fi
    total=$(rss_sum_mb "$tag")
    ok=$(echo "$total <= $mem_limit_gb * 1024" | bc -l)
    say "$(printf "%5d | %6.1f | %16.1f | %10s | %15s | %12s | %s" "$nodes" "$w" \
      "$(echo "$w / $scale_iters" | bc -l)" "$(cpu_sum "$tag")" "$(rss_max_mb "$tag")" "$total" \
      "$([[ $ok -eq 1 ]] && echo yes || echo no)")"
    rm -f "$out/$tag.h5"
    [[ $ok -eq 1 ]] || break
    largest=$nodes
  done
  say "largest measured within $mem_limit_gb GB on $scale_ranks ranks: $largest nodes"
  say "load after: $(uptime | sed 's/.*load average/load average/')"
fi
rm -f "$out"/speed-*.h5
echo "log: $log"
