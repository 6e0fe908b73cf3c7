#pragma once
// Test helper: a node's GPU and PIM as plain queues without DRAM contention, recording what an
// execution strategy (sched/execution.hpp) put on them.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "sched/scheduler.hpp"

namespace sievesim::test {

struct RecordingDevices final : NodeDevices {
  sim_time_t gpu_free_ps = 0, pim_free_ps = 0, pim_busy_ps = 0;
  std::vector<std::pair<sim_time_t, sim_time_t>> gpu_kernels;  // (start, end)
  std::int64_t experts[2] = {0, 0}, tokens[2] = {0, 0};        // [on_pim]
  EnergyUse energy;                                            // what the strategy spent

  sim_time_t gpu_kernel(sim_time_t ready_ps, sim_time_t dur_ps) override {
    const sim_time_t start = std::max(gpu_free_ps, ready_ps);
    gpu_free_ps = start + dur_ps;
    gpu_kernels.emplace_back(start, gpu_free_ps);
    return gpu_free_ps;
  }
  sim_time_t pim_ready() const override { return pim_free_ps; }
  sim_time_t pim_work(sim_time_t start_ps, sim_time_t dur_ps) const override {
    return start_ps + dur_ps;
  }
  void pim_finished(sim_time_t end_ps, sim_time_t busy_ps) override {
    pim_free_ps = std::max(pim_free_ps, end_ps);
    pim_busy_ps += busy_ps;
  }
  void count(bool on_pim, std::int64_t e, std::int64_t t) override {
    experts[on_pim] += e;
    tokens[on_pim] += t;
  }
  void spend(const EnergyUse& e) override { energy += e; }
};

// Runs `split` through the scheduler's execution strategy from time 0 on fresh devices; `done`
// gets each expert's finish time, the return value the strategy's end.
inline sim_time_t execute_alone(ExpertScheduler& s, const SchedulerInput& in,
                                const ExpertSplit& split, std::vector<sim_time_t>& done,
                                RecordingDevices& devices) {
  done.assign(in.experts.size(), 0);
  return s.execute(Execution{in, split, 0, 0, done}, devices);
}

}  // namespace sievesim::test
