#include "engine/results.hpp"

#include <algorithm>
#include <cmath>

namespace sievesim {

// The energy columns of a row with an `energy` member (EnergyPj).
#define SIEVESIM_ENERGY_COLS(ROW, WHAT)                                                    \
  ColumnDef<ROW>{"energy_gpu_compute_pj", "pJ", "GPU arithmetic of " WHAT,                 \
                 [](const ROW& r) { return r.energy.gpu_compute; }},                       \
      ColumnDef<ROW>{"energy_gpu_hbm_pj", "pJ", "HBM traffic of the GPU kernels of " WHAT, \
                     [](const ROW& r) { return r.energy.gpu_hbm; }},                       \
      ColumnDef<ROW>{"energy_pim_pj", "pJ", "PIM commands of " WHAT,                       \
                     [](const ROW& r) { return r.energy.pim; }},                           \
      ColumnDef<ROW> {                                                                     \
    "energy_link_pj", "pJ", "bytes sent over the links in " WHAT,                          \
        [](const ROW& r) { return r.energy.link; }                                         \
  }

#define SIEVESIM_COL(ROW, FIELD, UNITS, DESC)                                            \
  ColumnDef<ROW> {                                                                       \
#FIELD, UNITS, DESC, [](const ROW& r) { return static_cast<std::int64_t>(r.FIELD); } \
  }

const std::vector<ColumnDef<LayerRow>>& layer_columns() {
  static const std::vector<ColumnDef<LayerRow>> cols = {
      SIEVESIM_COL(LayerRow, iteration, "1", "iteration index"),
      SIEVESIM_COL(LayerRow, layer, "1", "model layer index"),
      SIEVESIM_COL(LayerRow, node, "1", "simulated node (GPU) index"),
      SIEVESIM_COL(LayerRow, micro_batch, "1",
                   "micro-batch of the node's requests (0 unless system.micro_batches > 1)"),
      SIEVESIM_COL(LayerRow, start_ps, "ps", "layer starts on this node"),
      SIEVESIM_COL(LayerRow, attention_end_ps, "ps", "attention and router done"),
      SIEVESIM_COL(LayerRow, dispatch_end_ps, "ps", "last dispatched token arrived at this node"),
      SIEVESIM_COL(LayerRow, experts_end_ps, "ps", "last local expert finished"),
      SIEVESIM_COL(LayerRow, end_ps, "ps", "last combine result for this node's tokens arrived"),
      SIEVESIM_COL(LayerRow, gpu_busy_ps, "ps", "GPU busy time in this layer"),
      SIEVESIM_COL(LayerRow, pim_busy_ps, "ps", "PIM busy time in this layer"),
      SIEVESIM_COL(LayerRow, gpu_idle_ps, "ps", "layer time the GPU had no work"),
      SIEVESIM_COL(LayerRow, pim_idle_ps, "ps", "layer time the PIM had no work"),
      SIEVESIM_COL(LayerRow, sched_ps, "ps", "time the expert scheduler's decision cost"),
      SIEVESIM_COL(LayerRow, tokens_in, "1", "(token, expert) pairs processed by local experts"),
      SIEVESIM_COL(LayerRow, tokens_out, "1", "(token, expert) pairs of local tokens dispatched"),
      SIEVESIM_COL(LayerRow, experts_gpu, "1", "active local experts run on the GPU"),
      SIEVESIM_COL(LayerRow, experts_pim, "1", "active local experts run on the PIM"),
      SIEVESIM_COL(LayerRow, tokens_gpu, "1", "(token, expert) pairs run on the GPU"),
      SIEVESIM_COL(LayerRow, tokens_pim, "1", "(token, expert) pairs run on the PIM"),
      SIEVESIM_COL(LayerRow, bytes_sent, "B", "dispatch + combine bytes sent to other nodes"),
      SIEVESIM_ENERGY_COLS(LayerRow, "this node's work in this layer"),
      SIEVESIM_COL(LayerRow, static_pj, "pJ",
                   "GPU board idle power over the layer's span on this node (micro-batches' "
                   "spans overlap)"),
  };
  return cols;
}

const std::vector<ColumnDef<IterationRow>>& iteration_columns() {
  static const std::vector<ColumnDef<IterationRow>> cols = {
      SIEVESIM_COL(IterationRow, iteration, "1", "iteration index"),
      SIEVESIM_COL(IterationRow, start_ps, "ps", "earliest start over nodes"),
      SIEVESIM_COL(IterationRow, end_ps, "ps", "latest end over nodes"),
      SIEVESIM_COL(IterationRow, batch, "1", "running requests, all nodes"),
      SIEVESIM_COL(IterationRow, queued, "1", "requests assigned but not yet admitted, all nodes"),
      SIEVESIM_COL(IterationRow, prefill_tokens, "1", "prompt tokens processed, all nodes"),
      SIEVESIM_COL(IterationRow, decode_tokens, "1", "decode tokens processed, all nodes"),
      SIEVESIM_COL(IterationRow, output_tokens, "1", "output tokens emitted, all nodes"),
      SIEVESIM_COL(IterationRow, kv_used_bytes, "B",
                   "KV cache reserved by running requests, all nodes"),
      SIEVESIM_ENERGY_COLS(IterationRow, "the iteration, all nodes (static power not included)"),
  };
  return cols;
}

const std::vector<ColumnDef<RequestRow>>& request_columns() {
  static const std::vector<ColumnDef<RequestRow>> cols = {
      SIEVESIM_COL(RequestRow, request, "1", "global request id"),
      SIEVESIM_COL(RequestRow, node, "1", "node that serves the request (owns its KV cache)"),
      SIEVESIM_COL(RequestRow, arrival_ps, "ps", "arrival"),
      SIEVESIM_COL(RequestRow, admitted_ps, "ps", "admitted into the batch (-1: never)"),
      SIEVESIM_COL(RequestRow, admitted_iteration, "1", "iteration it was admitted in (-1: never)"),
      SIEVESIM_COL(RequestRow, first_token_ps, "ps", "first output token emitted (-1: never)"),
      SIEVESIM_COL(RequestRow, last_token_ps, "ps", "latest output token emitted (-1: none)"),
      SIEVESIM_COL(RequestRow, finish_ps, "ps",
                   "finished, KV freed (-1: still running at the end)"),
      SIEVESIM_COL(RequestRow, prompt_tokens, "1", "prompt length"),
      SIEVESIM_COL(RequestRow, output_tokens, "1", "output tokens emitted in this run"),
      SIEVESIM_COL(RequestRow, measured_first_ps, "ps",
                   "first token emitted after the warm-up iterations (-1: none)"),
      SIEVESIM_COL(RequestRow, measured_tokens, "1", "tokens emitted after the warm-up iterations"),
  };
  return cols;
}

const std::vector<ColumnDef<PlacementRow>>& placement_columns() {
  static const std::vector<ColumnDef<PlacementRow>> cols = {
      SIEVESIM_COL(PlacementRow, rebalance, "1", "placement index (0: the initial placement)"),
      SIEVESIM_COL(PlacementRow, iteration, "1", "decided after this iteration (-1: at start)"),
      SIEVESIM_COL(PlacementRow, decided_ps, "ps", "decided"),
      SIEVESIM_COL(PlacementRow, active_ps, "ps", "in effect: the moved weights have arrived"),
      SIEVESIM_COL(PlacementRow, migration_ps, "ps", "time the weight moves took on the links"),
      SIEVESIM_COL(PlacementRow, bytes_moved, "B", "expert weights copied between nodes"),
      SIEVESIM_COL(PlacementRow, replicas_added, "1", "(layer, expert) copies created"),
      SIEVESIM_COL(PlacementRow, replicas_removed, "1", "(layer, expert) copies dropped"),
      SIEVESIM_COL(PlacementRow, window_tokens, "1", "(token, expert) pairs in the load window"),
      SIEVESIM_COL(PlacementRow, imbalance_before_permille, "1/1000",
                   "max / mean node load of the window under the old placement"),
      SIEVESIM_COL(PlacementRow, imbalance_after_permille, "1/1000",
                   "max / mean node load of the window under the new placement"),
  };
  return cols;
}

const std::vector<ColumnDef<ExpertLoadRow>>& expert_load_columns() {
  static const std::vector<ColumnDef<ExpertLoadRow>> cols = {
      SIEVESIM_COL(ExpertLoadRow, layer, "1", "decoder layer (MoE layers only)"),
      SIEVESIM_COL(ExpertLoadRow, expert, "1", "routed expert"),
      SIEVESIM_COL(ExpertLoadRow, tokens, "1",
                   "(token, expert) pairs dispatched to it after the warm-up, all nodes"),
      SIEVESIM_COL(ExpertLoadRow, replicas, "1", "copies in the placement in effect at the end"),
  };
  return cols;
}

const std::vector<ColumnDef<FaultRow>>& fault_columns() {
  static const std::vector<ColumnDef<FaultRow>> cols = {
      SIEVESIM_COL(FaultRow, event, "1", "0: the node failed, 1: it rejoined"),
      SIEVESIM_COL(FaultRow, node, "1", "the node"),
      SIEVESIM_COL(FaultRow, iteration, "1", "at the boundary after this iteration"),
      SIEVESIM_COL(FaultRow, at_ps, "ps", "the boundary's time"),
      SIEVESIM_COL(FaultRow, pause_ps, "ps", "detection + recovery (or reintegration) pause"),
      SIEVESIM_COL(FaultRow, migration_ps, "ps", "expert weight moves after the pause"),
      SIEVESIM_COL(FaultRow, resume_ps, "ps", "serving resumes"),
      SIEVESIM_COL(FaultRow, bytes_moved, "B", "expert weights copied or reloaded"),
      SIEVESIM_COL(FaultRow, bytes_reloaded, "B", "of which reloaded from host memory"),
      SIEVESIM_COL(FaultRow, replicas_added, "1", "(layer, expert) copies created"),
      SIEVESIM_COL(FaultRow, replicas_removed, "1", "(layer, expert) copies dropped"),
      SIEVESIM_COL(FaultRow, requests_lost, "1", "the failed node's requests, requeued or dropped"),
      SIEVESIM_COL(FaultRow, experts_unplaced, "1",
                   "(MoE layer, expert) pairs with no copy afterwards: their tokens drop"),
  };
  return cols;
}

#undef SIEVESIM_COL
#undef SIEVESIM_ENERGY_COLS

Percentiles Percentiles::of(std::vector<sim_time_t> v) {
  Percentiles p;
  p.count = static_cast<std::int64_t>(v.size());
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  long double sum = 0;
  for (auto x : v) sum += x;
  p.mean = static_cast<sim_time_t>(sum / static_cast<long double>(v.size()));
  auto rank = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  return p;
}

double Summary::joules_per_output_token() const {
  return output_tokens > 0 ? energy.total_J() / static_cast<double>(output_tokens) : 0.0;
}
double Summary::output_tokens_per_joule() const {
  const double j = energy.total_J();
  return j > 0 ? static_cast<double>(output_tokens) / j : 0.0;
}
double Summary::power_per_gpu_W() const {
  const double node_s = ps_to_s(window_ps) * static_cast<double>(nodes);
  if (node_s <= 0) return 0.0;
  return (energy.gpu_compute_J + energy.gpu_hbm_J + energy.static_J - energy.refresh_J) / node_s;
}
double Summary::power_per_pim_stack_W() const {
  const double stack_s =
      ps_to_s(window_ps) * static_cast<double>(nodes) * static_cast<double>(energy.stacks);
  return stack_s > 0 ? (energy.pim_J + energy.refresh_J) / stack_s : 0.0;
}

double Summary::throughput_tokens_per_s() const {
  return window_ps > 0 ? static_cast<double>(output_tokens) / ps_to_s(window_ps) : 0.0;
}
double Summary::throughput_tokens_per_s_per_gpu() const {
  return nodes > 0 ? throughput_tokens_per_s() / static_cast<double>(nodes) : 0.0;
}
double Summary::interactivity_tokens_per_s_per_user() const {
  // 1 / mean TPOT; a run of one iteration has no TPOT, so its iteration time stands in.
  const sim_time_t t = tpot.mean > 0 ? tpot.mean : mean_iteration_ps;
  return t > 0 ? 1.0 / ps_to_s(t) : 0.0;
}

}  // namespace sievesim
