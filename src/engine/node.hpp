#pragma once
// One simulated node (GPU + PIM stacks + ports) and the three phases of an MoE layer on it:
// dispatch (attention, router, sends), experts (receive, schedule, run, send back), combine
// (receive, check, end the layer). Everything here is local to the node: its rank does not matter.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "config/experiment.hpp"
#include "engine/op_costs.hpp"
#include "engine/ports.hpp"
#include "engine/results.hpp"
#include "mpi/token_record.hpp"
#include "place/placement.hpp"
#include "sched/scheduler.hpp"
#include "workload/batch.hpp"
#include "workload/request_pool.hpp"

namespace sievesim {

// What every node of a rank shares, read-only.
struct EngineContext {
  const Experiment& x;
  const Topology& topo;
  const OpCosts& costs;
  const ExpertMap& map;
};

class Node {
 public:
  Node(std::int32_t id, const Experiment& x);

  // A request assigned to this node (it waits in the node's queue until admitted).
  void enqueue(const RequestSpec& r) { batch_.enqueue(r); }
  void begin_iteration(std::int64_t iteration);
  // MoE layer, phase 1: appends one record per (local token, selected expert).
  void dispatch(const EngineContext& ctx, std::int64_t layer, std::vector<TokenRecord>& out);
  // Phase 2, on the expert's node: `in` holds the records for this node, sorted by
  // (home_node, slot, expert). Appends the combine records (same pairs, sent back).
  void run_experts(const EngineContext& ctx, std::int64_t layer, std::span<const TokenRecord> in,
                   std::vector<TokenRecord>& out);
  // Phase 3, on the token's home node: checks that every pair dispatched came back exactly once.
  void combine(const EngineContext& ctx, std::int64_t layer, std::span<const TokenRecord> in);
  // A layer without MoE (dense FFN): no exchange.
  void dense_layer(const EngineContext& ctx, std::int64_t layer);
  void end_iteration(const EngineContext& ctx);
  // Request rows, once the run is over (unfinished requests included, with -1 times).
  void finish(std::vector<RequestRow>& out) const;

  sim_time_t clock_ps() const { return clock_ps_; }
  // Nothing runs on this node before `t` (the cluster stalls for a migration).
  void wait_until(sim_time_t t) {
    clock_ps_ = std::max(clock_ps_, t);
    gpu_free_ps_ = std::max(gpu_free_ps_, t);
    pim_free_ps_ = std::max(pim_free_ps_, t);
  }
  std::int64_t outstanding() const { return batch_.outstanding(); }
  // Requests that finished in the last iteration.
  std::span<const RequestRow> just_finished() const {
    return std::span<const RequestRow>(finished_).subspan(finished_before_);
  }

  std::int32_t id() const { return id_; }
  const std::vector<LayerRow>& layer_rows() const { return layer_rows_; }
  const std::vector<IterationRow>& iteration_rows() const { return iteration_rows_; }
  std::int64_t records_dispatched() const { return records_dispatched_; }
  std::int64_t records_combined() const { return records_combined_; }

 private:
  sim_time_t attention_phase(const EngineContext& ctx, std::int64_t layer);
  // Serializes `msgs` on this node's egress ports and stamps each record with the timing of the
  // message to dest(record).
  template <class DestFn>
  void send(const EngineContext& ctx, std::vector<OutMessage>& msgs, std::span<TokenRecord> recs,
            DestFn dest);

  void finish_row();  // fills the idle columns and stores the layer's row
  // When GPU or PIM may start new work, given how they share the DRAM (Contention).
  sim_time_t gpu_ready() const;
  sim_time_t pim_ready() const;
  // End of PIM work of `dur` that could start at `start`, after contention stalls.
  sim_time_t pim_run(sim_time_t start, sim_time_t dur) const;

  std::int32_t id_;
  std::int64_t k_;
  Contention contention_;
  std::vector<std::pair<sim_time_t, sim_time_t>> gpu_streams_;  // GPU kernels of this layer
  NodeBatch batch_;
  std::int64_t tokens_ = 0;  // tokens of this iteration
  std::unique_ptr<ExpertScheduler> sched_;
  NodePorts ports_;
  sim_time_t clock_ps_ = 0, gpu_free_ps_ = 0, pim_free_ps_ = 0;
  sim_time_t shared_ps_ = 0, shared_end_ps_ = 0;
  LayerRow row_;
  IterationRow iter_;
  std::vector<std::int32_t> routed_;  // [slot * k + j] expert of this layer
  std::vector<float> gates_;
  std::vector<std::uint8_t> returned_;      // [slot * k + j] combine results seen
  std::vector<std::int32_t> expert_index_;  // logical expert -> index in the active list, or -1
  std::vector<LayerRow> layer_rows_;
  std::vector<IterationRow> iteration_rows_;
  std::vector<RequestRow> finished_;
  std::size_t finished_before_ = 0;  // finished_ before the last iteration
  std::int64_t records_dispatched_ = 0, records_combined_ = 0;
};

}  // namespace sievesim
