#pragma once
// Expert schedulers: per node, per MoE layer, per iteration, split the active local experts into a
// GPU set and an (ordered) PIM set, seeing only what a real runtime could see, and say how the
// split runs on the node's devices (execute, with the strategies of execution.hpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/params.hpp"
#include "base/registry.hpp"
#include "base/time.hpp"
#include "hw/gpu/gpu_model.hpp"
#include "hw/pim/pim_model.hpp"
#include "model/model.hpp"
#include "sched/execution.hpp"

namespace sievesim {

struct ExpertLoad {
  std::int32_t expert = 0;  // logical expert id
  std::int32_t tokens = 0;  // tokens routed to it on this node (> 0)
  sim_time_t ready_ps = 0;  // when its last token arrived
  // Its index among the experts this node holds in the layer (ascending id): the node's own
  // numbering, filled only for schedulers that ask for it (uses_local_index()).
  std::int32_t local = 0;
};

// What a scheduler may derive parameters from, once, when the experiment loads.
struct SchedulerSetup {
  const ModelSpec& model;
  const GpuModel& gpu;
  const PimModel& pim;
  std::int64_t local_experts = 1;  // routed experts a node holds (ceil(E / nodes))
};

struct SchedulerInput {
  std::int64_t layer = 0;
  std::span<const ExpertLoad> experts;  // active local experts, ascending expert id
  const ExpertShape& shape;
  DType activation_dtype;
  const GpuModel& gpu;
  const PimModel& pim;
  sim_time_t comm_ps = 0;           // the node's dispatch + combine time estimate
  sim_time_t attention_pim_ps = 0;  // PIM work (attention) still queued when experts could start
};

struct ExpertSplit {
  std::vector<std::int32_t> gpu;  // indices into SchedulerInput::experts
  std::vector<std::int32_t> pim;  // indices, in execution order
  sim_time_t decision_ps = 0;     // time the decision itself costs on the GPU
  // Where the decision kernel runs: on the compute stream, so every later GPU kernel waits for
  // it (true), or on a side stream that starts once the counts are known and overlaps the
  // dispatch and the shared experts, so only the routed grouped GEMM waits for it (false).
  bool decision_blocks_gpu = true;
  // The PIM may start its experts once the token counts are known, while the decision runs:
  // true when `pim` is cold-first and the decision can only take experts from the hot end, so
  // what the PIM starts first stays on the PIM (with overlap on).
  bool pim_before_decision = false;
};

class ExpertScheduler {
 public:
  // Each scheduler states where its published system runs attention and whether it overlaps
  // GPU, PIM and communication; the experiment may override both (`attention:`, `overlap:`).
  ExpertScheduler(bool attention_on_pim_default, bool overlap_default)
      : attention_on_pim_(attention_on_pim_default), overlap_(overlap_default) {}
  virtual ~ExpertScheduler() = default;

  // Called once after construction with the model and hardware: schedulers whose published
  // rule is a principle rather than a number (PIMoE's throttle-aware threshold) derive it here.
  virtual void setup(const SchedulerSetup& /*s*/) {}
  // Parameters derived in setup, as (label, value) for `validate`.
  virtual std::vector<std::pair<std::string, std::string>> derived() const { return {}; }
  // Whether split() reads ExpertLoad::local (costs the engine a lookup per layer).
  virtual bool uses_local_index() const { return false; }
  virtual ExpertSplit split(const SchedulerInput& in) = 0;
  // Runs the split on the node's devices (execution.hpp): fills `e.done` and returns when the
  // last expert work ends. By default the GPU set as one grouped GEMM and the PIM set one expert
  // at a time over all channels; a scheduler with its own way of running experts overrides it.
  virtual sim_time_t execute(const Execution& e, NodeDevices& devices);
  // Feedback after a PIM expert ran: its token count and the time it took.
  virtual void observe_pim(std::int32_t /*tokens*/, sim_time_t /*measured_ps*/) {}

  bool attention_on_pim() const { return attention_on_pim_; }
  bool overlap() const { return overlap_; }
  void set_attention_on_pim(bool v) { attention_on_pim_ = v; }
  void set_overlap(bool v) { overlap_ = v; }

 private:
  bool attention_on_pim_;
  bool overlap_;
};

using SchedulerRegistry = Registry<ExpertScheduler, const Params&>;

// Reads the `scheduler:` section: `name:` selects the scheduler (its parameters in the subsection
// of that name); `attention:` and `overlap:` override its defaults. One instance per node.
std::unique_ptr<ExpertScheduler> make_scheduler(const Params& p);

// GPU time of a grouped GEMM over the experts at `idx` (helper for schedulers).
sim_time_t gpu_set_ps(const SchedulerInput& in, std::span<const std::int32_t> idx);

// The popularity greedy of Duplex and Sieve: every expert starts on the PIM; the most popular
// remaining one moves to the GPU while objective(T_gpu(G), T_pim(P)) falls, stopping at the first
// move that does not improve. `pim_cost[i]` is the scheduler's estimate for expert i on the PIM.
// `move_cost[i]` (optional) is added to the objective for every expert i on the GPU: what moving
// it there costs beyond time (Sieve's energy objective: its GPU energy less its PIM energy).
ExpertSplit popular_to_gpu(const SchedulerInput& in, std::span<const sim_time_t> pim_cost,
                           const std::function<sim_time_t(sim_time_t, sim_time_t)>& objective,
                           std::span<const std::int64_t> move_cost = {});

}  // namespace sievesim
