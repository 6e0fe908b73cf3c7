#pragma once
// What a run produces: per-(iteration, layer, node) rows, per-(iteration, node) rows, per-request
// rows, and counters. Each row type declares its columns (name, units, meaning) once; the HDF5
// writer and the report read that schema, so the file documents itself.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "hw/energy/energy.hpp"
#include "workload/request_row.hpp"

namespace sievesim {

// Dynamic energy by component in whole picojoules (docs/energy.md): each piece of work is rounded
// once as it is booked, so sums over rows, nodes and ranks are exact.
struct EnergyPj {
  std::int64_t gpu_compute = 0, gpu_hbm = 0, pim = 0, link = 0;
  void add(const EnergyUse& e) {
    gpu_compute += whole_pj(e.gpu_compute_pj);
    gpu_hbm += whole_pj(e.gpu_hbm_pj);
    pim += whole_pj(e.pim_pj);
    link += whole_pj(e.link_pj);
  }
  EnergyPj& operator+=(const EnergyPj& o) {
    gpu_compute += o.gpu_compute;
    gpu_hbm += o.gpu_hbm;
    pim += o.pim;
    link += o.link;
    return *this;
  }
  std::int64_t total() const { return gpu_compute + gpu_hbm + pim + link; }
};

struct LayerRow {
  std::int64_t iteration = 0, layer = 0, node = 0;
  std::int64_t micro_batch = 0;     // the node's micro-batch (system.micro_batches)
  sim_time_t start_ps = 0;          // the layer starts on this node
  sim_time_t attention_end_ps = 0;  // attention, router and dispatch sends can start
  sim_time_t dispatch_end_ps = 0;   // last dispatched token arrived here (start if none)
  sim_time_t experts_end_ps = 0;    // last local expert finished (dispatch_end if none)
  sim_time_t end_ps = 0;            // last combine result for this node's tokens arrived
  sim_time_t gpu_busy_ps = 0, pim_busy_ps = 0, sched_ps = 0;
  sim_time_t gpu_idle_ps = 0, pim_idle_ps = 0;  // layer time the GPU / PIM had no work
  std::int64_t tokens_in = 0;   // (token, expert) records this node's experts processed
  std::int64_t tokens_out = 0;  // (token, expert) records this node's tokens sent out
  std::int64_t experts_gpu = 0, experts_pim = 0;
  std::int64_t tokens_gpu = 0, tokens_pim = 0;
  std::int64_t bytes_sent = 0;  // dispatch + combine bytes leaving this node (remote only)
  EnergyPj energy;              // the layer's work on this node
  std::int64_t static_pj = 0;   // the GPU board's idle power over the layer's span
};

struct IterationRow {
  std::int64_t iteration = 0, node = 0;
  sim_time_t start_ps = 0, end_ps = 0;
  std::int64_t batch = 0;   // running requests
  std::int64_t queued = 0;  // assigned, waiting for admission
  std::int64_t prefill_tokens = 0, decode_tokens = 0;
  std::int64_t output_tokens = 0;  // tokens emitted (decode tokens + prefills that completed)
  std::int64_t kv_used_bytes = 0;  // KV reserved by running requests
  EnergyPj energy;                 // the iteration's layers and its LM head and sampling
};

// One placement the coordinator made (row 0: the initial one).
struct PlacementRow {
  std::int64_t rebalance = 0;
  std::int64_t iteration = -1;               // decided after this iteration (-1: before the run)
  sim_time_t decided_ps = 0, active_ps = 0;  // decided; in effect (weights arrived)
  sim_time_t migration_ps = 0;               // the moves on the links (stretched in background)
  std::int64_t bytes_moved = 0, replicas_added = 0, replicas_removed = 0;
  std::int64_t window_tokens = 0;  // (token, expert) pairs measured in the window
  // Largest over mean predicted node load for the window's loads: old and new placement.
  std::int64_t imbalance_before_permille = 0, imbalance_after_permille = 0;
};

// Tokens one (layer, expert) received over the measured iterations, summed over the cluster.
struct ExpertLoadRow {
  std::int64_t layer = 0, expert = 0;
  std::int64_t tokens = 0;    // (token, expert) pairs dispatched after warm-up
  std::int64_t replicas = 0;  // copies in the placement in effect at the end
};

// One failure or rejoin as it happened.
struct FaultRow {
  std::int64_t event = 0;  // 0: the node failed, 1: it rejoined
  std::int64_t node = 0;
  std::int64_t iteration = 0;       // at the boundary after this iteration
  sim_time_t at_ps = 0;             // the boundary's time (the latest node clock)
  sim_time_t pause_ps = 0;          // detection and recovery (or reintegration) pause
  sim_time_t migration_ps = 0;      // the weight moves after it
  sim_time_t resume_ps = 0;         // serving resumes: at + pause + migration
  std::int64_t bytes_moved = 0;     // expert weights copied between nodes or reloaded from host
  std::int64_t bytes_reloaded = 0;  // the part reloaded from host memory (no survivor held it)
  std::int64_t replicas_added = 0, replicas_removed = 0;
  std::int64_t requests_lost = 0;     // the failed node's requests (requeued or dropped)
  std::int64_t experts_unplaced = 0;  // (MoE layer, expert) pairs left with no copy
};

template <class Row>
struct ColumnDef {
  const char* name;
  const char* units;
  const char* description;
  std::function<std::int64_t(const Row&)> get;
};

const std::vector<ColumnDef<LayerRow>>& layer_columns();
const std::vector<ColumnDef<IterationRow>>& iteration_columns();
const std::vector<ColumnDef<RequestRow>>& request_columns();
const std::vector<ColumnDef<PlacementRow>>& placement_columns();
const std::vector<ColumnDef<ExpertLoadRow>>& expert_load_columns();
const std::vector<ColumnDef<FaultRow>>& fault_columns();

// The headline figures, computed identically on every rank from globally reduced integers.
// Mean and nearest-rank percentiles of a per-request time.
struct Percentiles {
  sim_time_t mean = 0, p50 = 0, p90 = 0, p99 = 0;
  std::int64_t count = 0;                                 // values they summarize
  static Percentiles of(std::vector<sim_time_t> values);  // empty: all zero
};

// Warm-up iterations are left out: throughput counts the tokens emitted after them over the time
// they took; TTFT and end-to-end latency cover requests admitted after them; TPOT covers the
// tokens emitted after them.
struct Summary {
  std::int64_t nodes = 0, iterations = 0, warmup_iterations = 0;
  std::int64_t output_tokens = 0;   // emitted after warm-up
  std::int64_t prefill_tokens = 0;  // prompt tokens processed after warm-up
  std::int64_t requests = 0, requests_finished = 0;
  Percentiles ttft, tpot, e2e;       // per request: first token, time per output token, end to end
  sim_time_t makespan_ps = 0;        // end of the last iteration
  sim_time_t window_ps = 0;          // the measured part of the run (after warm-up)
  sim_time_t mean_iteration_ps = 0;  // mean iteration time over measured iterations
  std::int64_t records_dispatched = 0, records_combined = 0;
  // Energy over the measured window (docs/energy.md). Static is every node's idle power over
  // the whole window, busy or not; its refresh share is the PIM stacks'.
  struct Energy {
    double gpu_compute_J = 0, gpu_hbm_J = 0, pim_J = 0, link_J = 0, static_J = 0;
    double refresh_J = 0;     // the PIM stacks' share of static_J
    std::int64_t stacks = 0;  // PIM stacks per node
    double peak_node_W = 0;   // highest mean power of one node over a measured iteration
    double total_J() const { return gpu_compute_J + gpu_hbm_J + pim_J + link_J + static_J; }
  } energy;
  double joules_per_output_token() const;
  double output_tokens_per_joule() const;
  // Mean power over the window: per GPU (its compute, HBM traffic and static power less the
  // stacks' refresh) and per PIM stack (its commands and refresh).
  double power_per_gpu_W() const;
  double power_per_pim_stack_W() const;
  // With `faults:` (written only then): (token, expert) pairs routed to an expert no node held,
  // and the failed nodes' requests requeued or dropped.
  bool faults = false;
  std::int64_t records_dropped = 0, requests_requeued = 0, requests_dropped = 0;
  double throughput_tokens_per_s() const;
  double throughput_tokens_per_s_per_gpu() const;
  double interactivity_tokens_per_s_per_user() const;
};

// Rows of the nodes of this rank, plus the run's summary.
struct RankResults {
  std::vector<LayerRow> layers;
  std::vector<IterationRow> iterations;
  std::vector<RequestRow> requests;
  std::vector<IterationRow> totals;        // per iteration over all nodes (same on every rank)
  std::vector<PlacementRow> placements;    // same on every rank
  std::vector<ExpertLoadRow> expert_load;  // MoE layers only, layer-major; same on every rank
  std::vector<FaultRow> faults;            // failures and rejoins; same on every rank
  Summary summary;
};

}  // namespace sievesim
