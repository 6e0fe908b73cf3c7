// Every expert on the GPU. Two published baselines share the rule and differ only in where
// attention runs: GPU-only has no PIM at all; NoExp puts attention on the PIM (the PIM
// accelerates attention only).
#include <numeric>

#include "sched/scheduler.hpp"

namespace sievesim {
namespace {

class AllOnGpuScheduler final : public ExpertScheduler {
 public:
  explicit AllOnGpuScheduler(bool attention_on_pim) : ExpertScheduler(attention_on_pim, false) {}
  ExpertSplit split(const SchedulerInput& in) override {
    ExpertSplit s;
    s.gpu.resize(in.experts.size());
    std::iota(s.gpu.begin(), s.gpu.end(), 0);
    return s;
  }
};

}  // namespace

SIEVESIM_REGISTER(SchedulerRegistry, "gpu-only", "attention and all experts on the GPU",
                  [](const Params&) { return std::make_unique<AllOnGpuScheduler>(false); })
SIEVESIM_REGISTER(SchedulerRegistry, "noexp", "attention on the PIM, all experts on the GPU",
                  [](const Params&) { return std::make_unique<AllOnGpuScheduler>(true); })

}  // namespace sievesim
