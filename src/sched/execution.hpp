#pragma once
// Execution strategies: how a scheduler's split becomes work on the node's GPU and PIM. The
// engine owns the devices' clocks and exposes them through NodeDevices; the scheduler's
// `execute` (scheduler.hpp) puts kernels on them. So a scheduler with a new way of running
// experts (channel groups, token-level splits, micro-batches) is written entirely in src/sched/.
#include <cstdint>
#include <span>

#include "base/time.hpp"
#include "hw/energy/energy.hpp"

namespace sievesim {

struct SchedulerInput;
struct ExpertSplit;
class ExpertScheduler;

// The node's GPU and PIM as the engine keeps them: each a queue in time, sharing the DRAM.
class NodeDevices {
 public:
  virtual ~NodeDevices() = default;
  // A GPU kernel of `dur_ps` that may start at `ready_ps` runs after the GPU's earlier work and
  // streams from HBM while it runs (which stalls PIM work under shared contention); its end.
  virtual sim_time_t gpu_kernel(sim_time_t ready_ps, sim_time_t dur_ps) = 0;
  // When the PIM may take new work.
  virtual sim_time_t pim_ready() const = 0;
  // The end of PIM work of `dur_ps` started at `start_ps`, after it stalls for GPU kernels
  // streaming from the same stacks.
  virtual sim_time_t pim_work(sim_time_t start_ps, sim_time_t dur_ps) const = 0;
  // The PIM's expert work of this layer ends at `end_ps`, having kept it busy `busy_ps`.
  virtual void pim_finished(sim_time_t end_ps, sim_time_t busy_ps) = 0;
  // Experts and tokens a device processed in this layer (the layer row's columns).
  virtual void count(bool on_pim, std::int64_t experts, std::int64_t tokens) = 0;
  // Energy the layer's expert work spent (the layer row's energy columns).
  virtual void spend(const EnergyUse& e) = 0;
};

// One layer's routed-expert work on one node.
struct Execution {
  const SchedulerInput& in;
  const ExpertSplit& split;
  sim_time_t barrier_ps = 0;      // expert work may start (the decision is known)
  sim_time_t pim_barrier_ps = 0;  // the PIM may start (earlier when its set is fixed early)
  std::span<sim_time_t> done;     // out: per expert of `in.experts`, when its results are ready
};

// The building blocks strategies are made of.
// Throws SimulationError unless the split's two sets together hold as many experts as are active
// (what strategies that run whole experts need; the engine catches an expert left out).
void require_whole_experts(const Execution& e, const char* scheduler);
// The GPU set as one grouped GEMM once all its tokens are in; returns its end (0 if empty).
sim_time_t run_gpu_set(const Execution& e, NodeDevices& devices);
// The PIM set in the split's order: each expert over all channels one after another
// (`group_of` empty) or, channel-level expert parallelism, pim[k] on the channel group
// group_of[k] of `group_channels` channels, groups in parallel. Reports each expert's PIM time
// to `feedback.observe_pim`. Returns when the PIM's last group finishes (at least its start).
sim_time_t run_pim_sequence(const Execution& e, NodeDevices& devices, ExpertScheduler& feedback,
                            std::int64_t group_channels = 0,
                            std::span<const std::int32_t> group_of = {});

}  // namespace sievesim
