#include "sched/execution.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "sched/scheduler.hpp"

namespace sievesim {

void require_whole_experts(const Execution& e, const char* scheduler) {
  // A count suffices: an expert left out (whatever else is doubled) is caught by the engine,
  // whose check that every expert finished after its tokens fails for it.
  if (e.split.gpu.size() + e.split.pim.size() != e.in.experts.size())
    throw SimulationError(std::string("scheduler '") + scheduler +
                          "' did not place every active expert exactly once");
}

sim_time_t run_gpu_set(const Execution& e, NodeDevices& devices) {
  devices.count(false, static_cast<std::int64_t>(e.split.gpu.size()), 0);
  if (e.split.gpu.empty()) return 0;
  sim_time_t ready = e.barrier_ps;
  std::vector<std::int32_t> tokens;
  std::int64_t total = 0;
  for (auto i : e.split.gpu) {
    const ExpertLoad& l = e.in.experts[static_cast<std::size_t>(i)];
    ready = std::max(ready, l.ready_ps);
    tokens.push_back(l.tokens);
    total += l.tokens;
  }
  devices.count(false, 0, total);
  const sim_time_t dur = e.in.gpu.grouped_gemm_ps(tokens, e.in.shape, e.in.activation_dtype);
  const sim_time_t end = devices.gpu_kernel(ready, dur);
  devices.spend(
      e.in.gpu.grouped_gemm_energy(tokens, GemmShape::of(e.in.shape), e.in.activation_dtype));
  for (auto i : e.split.gpu) e.done[static_cast<std::size_t>(i)] = end;
  return end;
}

sim_time_t run_pim_sequence(const Execution& e, NodeDevices& devices, ExpertScheduler& feedback,
                            std::int64_t group_channels, std::span<const std::int32_t> group_of) {
  const sim_time_t start_ps = std::max(devices.pim_ready(), e.pim_barrier_ps);
  const bool grouped = !group_of.empty();
  std::vector<sim_time_t> group_t, group_busy;
  sim_time_t t = start_ps, busy = 0;
  std::int64_t tokens = 0;
  EnergyUse energy;
  for (std::size_t k = 0; k < e.split.pim.size(); ++k) {
    const auto i = static_cast<std::size_t>(e.split.pim[k]);
    const ExpertLoad& l = e.in.experts[i];
    sim_time_t* clock = &t;
    sim_time_t* busy_of = &busy;
    if (grouped) {
      const auto g = static_cast<std::size_t>(group_of[k]);
      if (g >= group_t.size()) {
        group_t.resize(g + 1, start_ps);
        group_busy.resize(g + 1, 0);
      }
      clock = &group_t[g];
      busy_of = &group_busy[g];
    }
    // The expert's duration includes the refreshes that fall while it runs.
    const sim_time_t start = std::max(*clock, l.ready_ps);
    const PimCost c = e.in.pim.expert(e.in.shape, l.tokens, grouped ? group_channels : 0, start);
    const sim_time_t dur = c.time_ps;
    energy.pim_pj += c.energy_pj;
    *busy_of += dur;
    *clock = devices.pim_work(start, dur);
    e.done[i] = *clock;
    feedback.observe_pim(l.tokens, dur);
    tokens += l.tokens;
  }
  for (auto g : group_t) t = std::max(t, g);
  // With channel groups the PIM is as busy as its busiest group.
  if (!group_busy.empty()) busy += *std::max_element(group_busy.begin(), group_busy.end());
  devices.pim_finished(t, busy);
  devices.count(true, static_cast<std::int64_t>(e.split.pim.size()), tokens);
  devices.spend(energy);
  return t;
}

sim_time_t ExpertScheduler::execute(const Execution& e, NodeDevices& devices) {
  require_whole_experts(e, "whole-expert");
  const sim_time_t gpu_end = run_gpu_set(e, devices);
  return std::max(gpu_end, run_pim_sequence(e, devices, *this));
}

}  // namespace sievesim
