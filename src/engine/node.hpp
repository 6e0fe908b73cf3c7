#pragma once
// One simulated node (GPU + PIM stacks + ports) and the three phases of an MoE layer on it:
// dispatch (attention, router, sends), the expert step (expert_step.cpp: receive, decide,
// execute, send back), combine (receive, check, end the layer). Everything here is local to the
// node: its rank does not matter.
//
// With `system.micro_batches: 2` the node's batch is split by requests into two micro-batches,
// each with its own clock, layer rows and conservation check, sharing the node's GPU and PIM
// queues (FIFO in issue order) and link ports. Each phase is a call of its own (attend,
// dispatch, run_experts, combine, for a micro-batch), so the simulator sets the order in which
// the two micro-batches issue their work (simulator.cpp gives it and why).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/op_costs.hpp"
#include "engine/ports.hpp"
#include "engine/results.hpp"
#include "engine/system.hpp"
#include "hw/slowed_models.hpp"
#include "mpi/message_stream.hpp"
#include "place/placement.hpp"
#include "sched/scheduler.hpp"
#include "workload/batch.hpp"
#include "workload/request_pool.hpp"

namespace sievesim {

class CountRouter;

// One (token, expert, node) triple's term of the conservation fingerprint (node.cpp); the count
// engine hashes (tokens, expert, node) records with it.
std::uint64_t pair_hash(std::int32_t slot, std::int32_t expert, std::int32_t node);

// Per-destination counters of one dispatch, indexed by node. One set per rank, shared by the
// rank's nodes: a node's dispatch (route_tokens then send_dispatch) uses it and leaves it zeroed
// before the next node's starts, so a rank holds it once, not once per node (at 16,384 nodes per
// rank a set per node would be ~5 GB).
struct DispatchScratch {
  std::vector<std::int64_t> sent_to;    // pairs sent to the node in this dispatch
  std::vector<std::int64_t> tokens_to;  // tokens sent to the node in this dispatch
  std::vector<std::int32_t> last_slot;  // the last slot sent to the node, or -1
};

// What every node of a rank shares: the assembled system and the placement in effect (read-only)
// and the dispatch scratch.
struct EngineContext {
  const System& sys;
  const ExpertMap& map;
  DispatchScratch* scratch = nullptr;
  // The count engine (`system.engine: counts`, count_routing.hpp): a record is (tokens, expert),
  // `slot` holding the tokens. Null: the token engine.
  CountRouter* counts = nullptr;
};

// The tokens of one layer that came to this node, per active local expert.
// One micro-batch of a node's iteration: whole requests, a contiguous range of the node's token
// slots (the batch lists each request's tokens together).
struct MicroBatch {
  std::int64_t lo = 0, hi = 0;            // token slots [lo, hi)
  std::span<const std::int64_t> context;  // decode contexts of its decode tokens
  std::span<const PrefillChunk> chunks;   // its prefill chunks
  sim_time_t clock_ps = 0;                // its previous layer ended
  sim_time_t attention_ready_ps = 0;      // the attention output is there (attend)
  sim_time_t after_ps = 0;                // GPU work after attention still to issue (dispatch)
  sim_time_t shared_ps = 0, shared_end_ps = 0;
  LayerRow row;
  std::vector<std::int32_t> routed;       // [(slot - lo) * k + j] expert of this layer
  std::vector<std::int32_t> routed_node;  // [(slot - lo) * k + j] the node the pair was sent to
  // Token conservation: the count and the order-independent fingerprint of the (token, expert,
  // node) triples dispatched in this layer, which the combine must reproduce.
  std::int64_t pairs_out = 0;
  std::uint64_t pairs_fingerprint = 0;
  std::int64_t pairs_dropped = 0;  // routed to an expert no node holds (faults)
  std::int64_t tokens() const { return hi - lo; }
};

struct ExpertArrivals {
  std::vector<ExpertLoad> loads;   // ascending expert id
  sim_time_t counts_known_ps = 0;  // every sender's routing is known (the counts' all-gather)
  sim_time_t dispatch_end_ps = 0;  // the last token arrived
  sim_time_t comm_ps = 0;          // the scheduler's dispatch + combine estimate
};

class Node final : private NodeDevices {
 public:
  Node(std::int32_t id, const System& sys, std::unique_ptr<ExpertScheduler> sched);

  // A request assigned to this node (it waits in the node's queue until admitted).
  void enqueue(const RequestSpec& r) { batch_.enqueue(r); }
  void begin_iteration(std::int64_t iteration);
  std::int64_t micro_batches() const { return static_cast<std::int64_t>(mb_.size()); }
  // Starts layer `layer` of micro-batch `mb`: the GPU work before attention and the PIM's
  // attention; a dense layer runs whole (no exchange).
  void attend(const EngineContext& ctx, std::int64_t layer, std::int64_t mb);
  // MoE layer, phase 1 (after attend): the GPU work after attention, then routes the
  // micro-batch's tokens and appends one message per destination node (one record per (local
  // token, selected expert)) to `out`.
  void dispatch(const EngineContext& ctx, std::int64_t layer, std::int64_t mb, Outbox& out);
  // Phase 2, the expert step, on the experts' node: `in` holds the messages of micro-batch `mb`
  // for this node in ascending sender order. Receives them, lets the scheduler decide and
  // execute, and appends the combine messages (the same pairs, sent back to their home nodes).
  void run_experts(const EngineContext& ctx, std::int64_t layer, std::int64_t mb,
                   std::span<const Message> in, Outbox& out);
  // Phase 3, on the tokens' home node: checks that every pair dispatched came back exactly once.
  void combine(const EngineContext& ctx, std::int64_t layer, std::int64_t mb,
               std::span<const Message> in);
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

  // --- faults (engine/faults.hpp) ---
  // This iteration's slowdown of the node's GPU and PIM (stragglers; needs `faults:`).
  void set_speed(double gpu_factor, double pim_factor);
  // The node fails: it hands over every request it holds (running ones first, in admission
  // order, then the queue) and takes part in the layers with nothing to do until it rejoins.
  void fail(std::vector<RequestSpec>& lost);
  // Back, empty, serving from `t` on.
  void rejoin(sim_time_t t);
  bool failed() const { return failed_; }
  // HBM the KV cache may use (less while the node holds experts of failed nodes).
  void set_kv_capacity(double bytes) { batch_.set_kv_capacity(bytes); }
  // KV the node has needed: the most it ever reserved at once (what it keeps when it gives HBM to
  // expert copies of a failed node).
  double kv_need_bytes() const { return batch_.kv_peak_bytes(); }
  std::int64_t records_dropped() const { return records_dropped_; }

  std::int32_t id() const { return id_; }
  const std::vector<LayerRow>& layer_rows() const { return layer_rows_; }
  const std::vector<IterationRow>& iteration_rows() const { return iteration_rows_; }
  std::int64_t records_dispatched() const { return records_dispatched_; }
  std::int64_t records_combined() const { return records_combined_; }

 private:
  // The micro-batch whose layer the device callbacks and rows account to.
  MicroBatch& cur() { return mb_[cur_]; }
  LayerRow& row() { return mb_[cur_].row; }
  void split_batch();  // the micro-batches of this iteration
  void dense_layer(const EngineContext& ctx, std::int64_t layer);
  // Dispatch: each token's experts and the node each pair goes to; then the messages.
  void route_tokens(const EngineContext& ctx, std::int64_t layer);
  void send_dispatch(const EngineContext& ctx, Outbox& out);
  // The count engine's dispatch (count_dispatch.cpp): tokens per expert, one record each.
  void route_counts(const EngineContext& ctx, std::int64_t layer, Outbox& out);
  // Serializes `msgs` on this node's egress ports and copies each message's timing into the
  // header of the same destination in `heads` (ascending destination).
  void send(const EngineContext& ctx, std::vector<OutMessage>& msgs, std::span<MessageHeader> heads,
            CallKind kind);
  // Arrival of every message of `in` (same order), after this node's ingress ports.
  void receive(const EngineContext& ctx, std::span<const Message> in);

  // The expert step's stages (expert_step.cpp).
  ExpertArrivals count_arrivals(const EngineContext& ctx, std::int64_t layer,
                                std::span<const Message> in);
  // The scheduler's split and when its decision is known.
  ExpertSplit decide(const SchedulerInput& sin, sim_time_t& decided_ps);
  void run_shared_experts();
  // Runs the split through the scheduler's execution strategy; `done` per expert.
  sim_time_t execute(const SchedulerInput& sin, const ExpertSplit& split, const ExpertArrivals& a,
                     sim_time_t decided_ps, std::vector<sim_time_t>& done);
  void send_combine(const EngineContext& ctx, std::span<const Message> in,
                    std::span<const sim_time_t> done, Outbox& out);

  // NodeDevices: the GPU and PIM queues as the scheduler's execution strategy sees them.
  sim_time_t gpu_kernel(sim_time_t ready_ps, sim_time_t dur_ps) override;
  sim_time_t pim_ready() const override;
  sim_time_t pim_work(sim_time_t start_ps, sim_time_t dur_ps) const override;
  void pim_finished(sim_time_t end_ps, sim_time_t busy_ps) override;
  void count(bool on_pim, std::int64_t experts, std::int64_t tokens) override;
  void spend(const EnergyUse& e) override;

  void finish_row();  // fills the idle columns and stores the layer's row
  // Keeps the GPU kernels (for `contention: shared`) that PIM work still to be issued may meet.
  void forget_gpu_streams();
  // When the GPU may start new work, given how it shares the DRAM with the PIM (Contention).
  sim_time_t gpu_ready() const;

  std::int32_t id_;
  std::int64_t k_;
  // The node's own view of its devices: the system's models, or slowed copies of them when the
  // experiment has stragglers. `plan_*`: what its scheduler plans with (the nominal models unless
  // faults.speed_aware).
  std::unique_ptr<SlowedGpuModel> slow_gpu_;
  std::unique_ptr<SlowedPimModel> slow_pim_;
  std::unique_ptr<OpCosts> slow_costs_;
  const GpuModel* gpu_ = nullptr;
  const PimModel* pim_ = nullptr;
  const OpCosts* costs_ = nullptr;
  const GpuModel* plan_gpu_ = nullptr;
  const PimModel* plan_pim_ = nullptr;
  bool failed_ = false;
  std::int64_t records_dropped_ = 0;
  bool keep_layer_rows_;  // output.layers: long runs at thousands of nodes skip ~160 B per row
  Contention contention_;
  double static_W_;  // the GPU board's idle power, booked over each layer's span
  std::vector<std::pair<sim_time_t, sim_time_t>> gpu_streams_;  // GPU kernels of this layer
  NodeBatch batch_;
  std::int64_t tokens_ = 0;  // tokens of this iteration
  std::vector<MicroBatch> mb_;
  std::size_t cur_ = 0;
  std::size_t rows_before_ = 0;  // layer_rows_ before this iteration
  std::unique_ptr<ExpertScheduler> sched_;
  NodePorts ports_;
  sim_time_t clock_ps_ = 0, gpu_free_ps_ = 0, pim_free_ps_ = 0;
  IterationRow iter_;
  // The router's weights for one token, which the routing source fills; no cost depends on
  // their values (the combine's weighted sum costs the same whatever they are).
  std::vector<float> gates_;
  std::vector<std::int32_t> dests_;         // the nodes sent to in this dispatch
  std::vector<InMessage> in_msgs_;          // receive()'s scratch
  std::vector<sim_time_t> arrival_;         // per incoming message: last byte received
  std::vector<std::int32_t> expert_index_;  // logical expert -> index in the active list, or -1
  std::vector<LayerRow> layer_rows_;
  std::vector<IterationRow> iteration_rows_;
  std::vector<RequestRow> finished_;
  std::size_t finished_before_ = 0;  // finished_ before the last iteration
  std::int64_t records_dispatched_ = 0, records_combined_ = 0;
};

}  // namespace sievesim
